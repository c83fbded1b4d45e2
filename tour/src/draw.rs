//! Drawing helpers shared by the chapters: banners, boxes of cells, bars.

/// Prints the tour's opening banner.
pub fn banner(text: &str) {
    let line = "═".repeat(text.chars().count() + 4);
    println!("╔{line}╗\n║  {text}  ║\n╚{line}╝\n");
}

/// Prints a chapter heading.
pub fn chapter(name: &str, title: &str) {
    let text = format!("{name}: {title}");
    println!(
        "\n{}\n{text}\n{}",
        "━".repeat(text.chars().count()),
        "━".repeat(text.chars().count())
    );
}

/// Prints a section heading inside a chapter.
pub fn section(text: &str) {
    println!("\n── {text} ──");
}

/// Prints a paragraph of explanation.
pub fn say(text: &str) {
    println!("{text}");
}

/// Draws a row of cells as a box: `┌──┬──┐ │a │b │ └──┴──┘`, every cell padded to
/// the widest label. Returns the drawing so callers can annotate it.
pub fn cells<S: AsRef<str>>(labels: &[S]) -> String {
    let width = labels
        .iter()
        .map(|l| l.as_ref().chars().count())
        .max()
        .unwrap_or(1)
        .max(1);
    let bar = "─".repeat(width + 2);
    let join = |l: &str, m: &str, r: &str| {
        let mut s = String::from(l);
        for i in 0..labels.len() {
            s.push_str(&bar);
            s.push_str(if i + 1 == labels.len() { r } else { m });
        }
        s
    };
    let mut mid = String::from("│");
    for l in labels {
        mid.push_str(&format!(" {:<width$} │", l.as_ref()));
    }
    if labels.is_empty() {
        return String::from("(empty)");
    }
    format!("{}\n{}\n{}", join("┌", "┬", "┐"), mid, join("└", "┴", "┘"))
}

/// Draws a horizontal bar of `value` out of `max`, `width` characters wide.
pub fn bar(value: f64, max: f64, width: usize) -> String {
    let filled = if max <= 0.0 {
        0
    } else {
        ((value / max) * width as f64)
            .round()
            .clamp(0.0, width as f64) as usize
    };
    format!("{}{}", "█".repeat(filled), "·".repeat(width - filled))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_pad_to_the_widest_label() {
        let d = cells(&["a", "bcd"]);
        assert_eq!(d.lines().nth(1).unwrap(), "│ a   │ bcd │");
        assert_eq!(cells::<&str>(&[]), "(empty)");
    }

    #[test]
    fn bars_are_proportional() {
        assert_eq!(bar(5.0, 10.0, 4), "██··");
        assert_eq!(bar(20.0, 10.0, 4), "████");
        assert_eq!(bar(1.0, 0.0, 2), "··");
    }
}
