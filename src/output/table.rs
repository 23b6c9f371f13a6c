//! Tables for people (comfy-table), sized to the terminal when there is one.

use comfy_table::{ContentArrangement, LineStyle, TableStyle};

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

/// The table as text, without the padding comfy-table leaves at the end of each line.
pub fn render_table(table: &Table) -> String {
    let text = table.to_string();
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
