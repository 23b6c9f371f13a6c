//! Tables for people (comfy-table), sized to the terminal when there is one.

use comfy_table::{Cell, ContentArrangement, LineStyle, TableStyle};

pub use comfy_table::Table;

/// No borders, one rule under the header: easy to read, and to copy into a chat.
const STYLE: TableStyle = TableStyle::new().header_separator(LineStyle::none().fill('─').junction(' '));

/// A table wrapped to the terminal's width on a terminal, never wrapped when piped.
pub fn table(header: &[&str], on_terminal: bool) -> Table {
    let mut table = Table::new();
    table.load_style(STYLE);
    table.set_content_arrangement(if on_terminal { ContentArrangement::Dynamic } else { ContentArrangement::Disabled });
    table.set_header(header.iter().copied());
    table
}

/// The most of one cell a table shows: comfy-table is quadratic in a long word (400 KB took
/// 110 s on a terminal, 4 MB 24 s piped), and nobody reads 4,000 characters in a table cell;
/// `--json` has them all.
const MAX_CELL_CHARS: usize = 4000;

/// The table as text, without the padding comfy-table leaves at the end of each line. Cells
/// are made terminal-safe before widths are measured; a very long cell is cut, saying how much
/// more there is.
pub fn render_table(table: &Table) -> String {
    let mut shown = Table::new();
    shown.load_style(table.style());
    shown.set_content_arrangement(table.content_arrangement());
    if let Some(header) = table.header() {
        shown.set_header(header.cell_iter().map(Cell::content));
    }
    for row in table.row_iter() {
        shown.add_row(row.cell_iter().map(|cell| shown_cell(&cell.content())));
    }
    let text = shown.to_string();
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn shown_cell(content: &str) -> String {
    let safe = super::sanitize::terminal_safe(content, false);
    match safe.char_indices().nth(MAX_CELL_CHARS) {
        Some((cut, _)) => {
            let more = safe[cut..].chars().count();
            format!("{}… ({more} more characters; --json shows them all)", &safe[..cut])
        }
        _ => safe.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What broke: a 50 MB note, one long word, took minutes to print as a table.
    #[test]
    fn one_huge_cell_is_cut_and_prints_at_once_on_a_terminal_or_not() {
        for on_terminal in [true, false] {
            let mut t = table(&["What"], on_terminal);
            t.set_width(80);
            t.add_row(vec!["x".repeat(5_000_000)]);
            let started = std::time::Instant::now();
            let text = render_table(&t);
            assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
            assert!(text.contains("(4996000 more characters; --json shows them all)"), "{on_terminal}");
        }
    }

    #[test]
    fn cells_are_measured_after_escapes_are_made_visible() {
        let mut t = table(&["A", "B"], false);
        t.add_row(vec!["\x1b[2J", "x"]);
        t.add_row(vec!["abcdef", "y"]);
        let text = render_table(&t);
        let columns: Vec<usize> = text.lines().skip(2).map(|l| l.find(['x', 'y']).unwrap_or(0)).collect();
        assert_eq!(columns[0], columns[1], "{text}");
    }
}
