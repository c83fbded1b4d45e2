//! The `sync` chapter (issue #5).

use crate::draw;

/// Runs the chapter.
pub fn run() {
    draw::say("This chapter arrives with issue #5.");
}
