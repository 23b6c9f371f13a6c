//! The one menu every prompt of the walk (and of `open` and `drill`) uses, drawn on stderr.
//!
//! Written for a responder typing a sentence at the wrong moment: only the arrow keys, Tab,
//! Home and End move; Enter picks; every printable key (Space, `j`, `q`, digits) goes into a
//! filter that narrows the list and never picks. Enter with a filter that matches nothing does
//! nothing. The cursor is hidden while the menu is drawn and shown again on every way out: a
//! pick, an error, end of input, and Ctrl-C (which `signals` turns into the walk's farewell).

use dialoguer::console::{Key, Term, style, truncate_str};

use crate::error::{Error, Result};

/// A menu of `items` (already safe to show); the index of the one picked.
pub struct Menu<'a> {
    pub prompt: &'a str,
    pub items: &'a [String],
    pub default: usize,
    pub color: bool,
}

impl Menu<'_> {
    pub fn pick(&self) -> Result<usize> {
        let term = Term::stderr();
        if !term.is_term() || self.items.is_empty() {
            return Err(Error::runtime(format!("cannot ask \"{}\": no terminal or nothing to choose", self.prompt)));
        }
        let _cursor = HiddenCursor::new(&term);
        let mut filter = String::new();
        let mut selected = self.default.min(self.items.len() - 1);
        let mut drawn = 0;
        loop {
            let visible = self.matching(&filter);
            if !visible.contains(&selected)
                && let Some(&first) = visible.first()
            {
                selected = first;
            }
            term.clear_last_lines(drawn).map_err(gone)?;
            drawn = self.draw(&term, &filter, &visible, selected).map_err(gone)?;
            let at = visible.iter().position(|&i| i == selected);
            match term.read_key().map_err(gone)? {
                // Enter with nothing matching the filter picks nothing.
                Key::Enter if at.is_some() => {
                    term.clear_last_lines(drawn).map_err(gone)?;
                    term.write_line(&format!("{} · {}", self.prompt, self.items[selected])).map_err(gone)?;
                    return Ok(selected);
                }
                Key::ArrowDown | Key::Tab => {
                    if let Some(at) = at {
                        selected = visible[(at + 1) % visible.len()];
                    }
                }
                Key::ArrowUp | Key::BackTab => {
                    if let Some(at) = at {
                        selected = visible[(at + visible.len() - 1) % visible.len()];
                    }
                }
                Key::Home => selected = visible.first().copied().unwrap_or(selected),
                Key::End => selected = visible.last().copied().unwrap_or(selected),
                Key::Backspace => {
                    filter.pop();
                }
                Key::Escape => filter.clear(),
                Key::Char(c) if !c.is_control() => filter.push(c),
                _ => {}
            }
        }
    }

    /// The items the filter keeps: those containing it, ignoring case.
    fn matching(&self, filter: &str) -> Vec<usize> {
        let filter = filter.to_lowercase();
        (0..self.items.len()).filter(|&i| self.items[i].to_lowercase().contains(&filter)).collect()
    }

    /// Draws the prompt and the visible items (scrolled to keep the selection on screen);
    /// returns the number of lines drawn.
    fn draw(&self, term: &Term, filter: &str, visible: &[usize], selected: usize) -> std::io::Result<usize> {
        let header = if filter.is_empty() {
            format!("{} (arrows move, Enter picks, typing filters)", self.prompt)
        } else {
            format!("{} [filter: {filter}] (Backspace or Esc clears)", self.prompt)
        };
        // A line that wrapped would be miscounted when the menu is redrawn: each fits the width.
        let width = usize::from(term.size().1).max(20);
        let fit = |line: &str| truncate_str(line, width - 1, "…").into_owned();
        let header = fit(&header);
        term.write_line(&if self.color { style(header).bold().to_string() } else { header })?;
        if visible.is_empty() {
            term.write_line(&fit("  nothing matches the filter: Enter does nothing"))?;
            return Ok(2);
        }
        let rows = usize::from(term.size().0).saturating_sub(2).max(3);
        let at = visible.iter().position(|&i| i == selected).unwrap_or(0);
        let first = at.saturating_sub(rows - 1);
        let mut lines = 1;
        for &i in visible.iter().skip(first).take(rows) {
            let line = fit(&format!("{} {}", if i == selected { ">" } else { " " }, self.items[i]));
            let line = if self.color && i == selected { style(line).cyan().to_string() } else { line };
            term.write_line(&line)?;
            lines += 1;
        }
        Ok(lines)
    }
}

/// Yes only for `y` then Enter; Enter alone (or after `n`, or Esc) is no; other keys are
/// ignored. Enter ends it either way, so the Enter after a `y` never lands on the next prompt.
pub fn confirm(question: &str) -> Result<bool> {
    let term = Term::stderr();
    if !term.is_term() {
        return Ok(false);
    }
    term.write_str(&format!("{question} [y/N] ")).map_err(gone)?;
    let mut yes = false;
    loop {
        match term.read_key().map_err(gone)? {
            Key::Char('y' | 'Y') if !yes => {
                yes = true;
                term.write_str("y").map_err(gone)?;
            }
            Key::Char('n' | 'N') | Key::Backspace if yes => {
                yes = false;
                term.clear_chars(1).map_err(gone)?;
            }
            Key::Escape => {
                term.write_line("").map_err(gone)?;
                return Ok(false);
            }
            Key::Enter => {
                term.write_line(if yes { "" } else { "no" }).map_err(gone)?;
                return Ok(yes);
            }
            _ => {}
        }
    }
}

/// Hides the cursor until dropped, whichever way the menu ends.
struct HiddenCursor<'a>(&'a Term);

impl<'a> HiddenCursor<'a> {
    fn new(term: &'a Term) -> Self {
        let _ = term.hide_cursor();
        HiddenCursor(term)
    }
}

impl Drop for HiddenCursor<'_> {
    fn drop(&mut self) {
        let _ = self.0.show_cursor();
    }
}

fn gone(err: std::io::Error) -> Error {
    Error::runtime(format!("the terminal went away: {err}"))
        .with_hint("everything entered so far is recorded; continue with `incident walk`")
}
