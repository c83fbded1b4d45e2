//! The `layout` chapter (issue #7).

use crate::draw;

/// Runs the chapter.
pub fn run() {
    draw::say("This chapter arrives with issue #7.");
}
