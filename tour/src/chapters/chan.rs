//! The `chan` chapter (issue #4).

use crate::draw;

/// Runs the chapter.
pub fn run() {
    draw::say("This chapter arrives with issue #4.");
}
