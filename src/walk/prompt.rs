//! Prompts, on stderr, through dialoguer. Only the walk asks questions, and only on a terminal.

use dialoguer::Input;
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};

use super::menu::{self, Menu};

use crate::error::{Error, Result};

pub struct Prompter {
    theme: Box<dyn Theme>,
    color: bool,
}

impl Prompter {
    pub fn new(color: bool) -> Self {
        let theme: Box<dyn Theme> = if color { Box::new(ColorfulTheme::default()) } else { Box::new(SimpleTheme) };
        Prompter { theme, color }
    }

    /// A line of text; `None` when the person just pressed Enter.
    pub fn text(&self, prompt: &str) -> Result<Option<String>> {
        let answer: String = Input::with_theme(self.theme.as_ref())
            .with_prompt(safe(prompt))
            .allow_empty(true)
            .interact_text()
            .map_err(terminal_gone)?;
        let answer = answer.trim().to_string();
        Ok((!answer.is_empty()).then_some(answer))
    }

    /// A line of text with `default` shown (Enter keeps it); `None` when the answer is the
    /// default or empty.
    pub fn text_or(&self, prompt: &str, default: Option<&str>) -> Result<Option<String>> {
        let mut input = Input::<String>::with_theme(self.theme.as_ref());
        input = input.with_prompt(safe(prompt)).allow_empty(true);
        if let Some(default) = default {
            input = input.default(safe(default)).show_default(true);
        }
        let answer = input.interact_text().map_err(terminal_gone)?;
        let answer = answer.trim().to_string();
        let kept = default.is_some_and(|d| answer == safe(d) || answer == d);
        Ok((!answer.is_empty() && !kept).then_some(answer))
    }

    /// A line of text that must not be empty: with a `default` (from what is on screen), Enter
    /// takes it; without one, Enter says an answer is needed and asks again.
    pub fn required(&self, prompt: &str, default: Option<&str>) -> Result<String> {
        let default = default.map(str::trim).filter(|d| !d.is_empty());
        loop {
            let mut input = Input::<String>::with_theme(self.theme.as_ref());
            input = input.with_prompt(safe(prompt)).allow_empty(true);
            if let Some(default) = default {
                input = input.default(safe(default)).show_default(true);
            }
            let answer = input.interact_text().map_err(terminal_gone)?;
            let answer = answer.trim();
            match default {
                // The default as shown is the sanitised one: keep the original text.
                Some(d) if answer.is_empty() || answer == safe(d) => return Ok(d.to_string()),
                _ if !answer.is_empty() => return Ok(answer.to_string()),
                _ => eprintln!("An answer is needed here (Ctrl-C stops; the walk resumes at this question)."),
            }
        }
    }

    /// Lines of text until an empty one, each handed to `record` as soon as it is entered (so
    /// an interrupt after the third line keeps three).
    pub fn each_line(&self, prompt: &str, mut record: impl FnMut(String) -> Result<()>) -> Result<()> {
        while let Some(line) = self.text(prompt)? {
            record(line)?;
        }
        Ok(())
    }

    /// One of `items`, by index: arrows move, Enter picks, typed text filters and never picks.
    pub fn choose(&self, prompt: &str, items: &[String], default: usize) -> Result<usize> {
        let (prompt, items) = (safe(prompt), safe_all(items));
        Menu { prompt: &prompt, items: &items, default, color: self.color }.pick()
    }

    /// Yes only for `y` and Enter: for choices that change status or severity or run something.
    pub fn confirm(&self, question: &str) -> Result<bool> {
        menu::confirm(&safe(question))
    }
}

fn terminal_gone(err: dialoguer::Error) -> Error {
    Error::runtime(format!("the terminal went away: {err}"))
        .with_hint("everything entered so far is recorded; continue with `incident walk`")
}

/// Prompts and choices show recorded text (a teammate's hypothesis, a runbook's question):
/// escape sequences in it are shown, never obeyed.
fn safe(text: &str) -> String {
    crate::output::sanitize::terminal_safe(text, false).into_owned()
}

fn safe_all(items: &[String]) -> Vec<String> {
    items.iter().map(|item| safe(item)).collect()
}
