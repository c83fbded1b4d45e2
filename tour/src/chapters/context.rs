//! The `context` chapter (issue #8).

use crate::draw;

/// Runs the chapter.
pub fn run() {
    draw::say("This chapter arrives with issue #8.");
}
