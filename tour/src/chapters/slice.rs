//! The `slice` chapter (issue #6).

use crate::draw;

/// Runs the chapter.
pub fn run() {
    draw::say("This chapter arrives with issue #6.");
}
