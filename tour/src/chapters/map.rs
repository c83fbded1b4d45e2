//! The `map` chapter (issue #3).

use crate::draw;

/// Runs the chapter.
pub fn run() {
    draw::say("This chapter arrives with issue #3.");
}
