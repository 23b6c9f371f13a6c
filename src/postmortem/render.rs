//! Rendering the document through MiniJinja templates, with responders' text escaped so that a
//! `|`, a backtick or HTML in a note cannot break a table or inject markup.

use std::path::{Path, PathBuf};

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use super::document::Document;
use crate::output::sanitize::terminal_safe;

/// The templates shipped in the binary: (name, source).
const EMBEDDED: &[(&str, &str)] = &[("default", include_str!("../../templates/default.md.j2"))];

/// The escaping mode of every template: Markdown.
const MARKDOWN: &str = "markdown";

/// A template that could not be loaded or rendered: where, and what was wrong.
#[derive(Debug)]
pub struct TemplateError {
    /// `templates/default.md.j2:12: unknown filter 'foo'`
    pub message: String,
}

pub struct Templates {
    env: Environment<'static>,
    name: String,
}

impl Templates {
    /// The names of the templates shipped in the binary.
    pub fn embedded_names() -> Vec<&'static str> {
        EMBEDDED.iter().map(|(name, _)| *name).collect()
    }

    /// Loads a template by name (shipped) or path (a file). A path is anything that exists as
    /// a file or contains a `/` or ends in `.j2`.
    pub fn load(name_or_path: &str) -> Result<Templates, TemplateError> {
        let looks_like_path =
            name_or_path.contains('/') || name_or_path.ends_with(".j2") || Path::new(name_or_path).is_file();
        if looks_like_path {
            let path = PathBuf::from(name_or_path);
            let source = crate::text_file::read_whole(&path)
                .map_err(|e| TemplateError { message: format!("cannot read template {}: {e}", path.display()) })?;
            return Templates::from_source(&path.display().to_string(), source);
        }
        match EMBEDDED.iter().find(|(name, _)| *name == name_or_path) {
            Some((name, source)) => Templates::from_source(&format!("templates/{name}.md.j2"), (*source).to_string()),
            None => Err(TemplateError {
                message: format!(
                    "no template named {name_or_path:?}: shipped templates are {}; or give a path to a .j2 file",
                    Templates::embedded_names().join(", ")
                ),
            }),
        }
    }

    /// A template from its text; `name` is how errors call it.
    pub fn from_source(name: &str, source: String) -> Result<Templates, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder().keep_trailing_newline(true).build() {
            env.set_syntax(syntax);
        }
        // A plain-text template (`*.txt.j2`) prints values as written: Markdown escapes there
        // would be noise (`\[`, `&gt;`). The whole output is still made terminal-safe.
        env.set_auto_escape_callback(|name| {
            if is_plain_text(name) { AutoEscape::None } else { AutoEscape::Custom(MARKDOWN.into()) }
        });
        env.set_formatter(|out, state, value| {
            if matches!(state.auto_escape(), AutoEscape::Custom(mode) if mode == MARKDOWN) && !value.is_safe() {
                if value.is_none() || value.is_undefined() {
                    return Ok(());
                }
                let text = match value.as_str() {
                    Some(s) => escape_markdown(s),
                    None => escape_markdown(&value.to_string()),
                };
                out.write_str(&text)
                    .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
            } else {
                minijinja::escape_formatter(out, state, value)
            }
        });
        env.add_filter("code", code_span);
        crate::template_limits::apply(&mut env, crate::template_limits::POSTMORTEM);
        crate::template_limits::check_nesting(&source)
            .map_err(|e| TemplateError { message: format!("{name}: {e}") })?;
        env.add_template_owned(name.to_string(), source).map_err(|e| located(&e))?;
        Ok(Templates { env, name: name.to_string() })
    }

    pub fn render(&self, document: &Document) -> Result<String, TemplateError> {
        let template = self.env.get_template(&self.name).map_err(|e| located(&e))?;
        let ctx = Value::from(minijinja::value::Serde(document));
        let markdown =
            crate::template_limits::render_capped(&template, &ctx, crate::template_limits::POSTMORTEM.max_output)
                .map_err(|e| located(&e))?;
        // Code spans and the template's own text are not escaped as values are: the whole
        // document is made safe to `cat`, whatever wrote the escape.
        Ok(terminal_safe(&markdown, false).into_owned())
    }
}

/// Whether a template renders plain text rather than Markdown: its name ends in `.txt.j2` or
/// `.txt`.
fn is_plain_text(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.ends_with(".txt.j2") || name.ends_with(".txt")
}

/// `file:line: what was wrong`, from MiniJinja's error.
fn located(err: &minijinja::Error) -> TemplateError {
    let place = match (err.name(), err.line()) {
        (Some(name), Some(line)) => format!("{name}:{line}: "),
        (Some(name), None) => format!("{name}: "),
        _ => String::new(),
    };
    let what = err.detail().map(str::to_string).unwrap_or_else(|| err.kind().to_string());
    TemplateError { message: format!("{place}{what} ({})", err.kind()) }
}

/// Escapes text for Markdown, inline or in a table cell: nothing in it can close a cell, open
/// code, or become HTML; a line break stays a line break without ending the row; a terminal
/// escape is shown (`\e[2J`), not kept.
pub fn escape_markdown(text: &str) -> String {
    let text = terminal_safe(text, false);
    let mut out = String::with_capacity(text.len() + 8);
    for (i, c) in text.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '`' => out.push_str("\\`"),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '#' if i == 0 => out.push_str("\\#"),
            '\r' => {}
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

/// `{{ command | code }}`: a code span that holds any text, backticks included.
fn code_span(value: String) -> Value {
    let text = value.replace(['\r', '\n'], " ").replace('|', "\\|");
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    Value::from_safe_string(format!("{fence}{pad}{text}{pad}{fence}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_table_cells_and_markup_closed() {
        assert_eq!(escape_markdown("a | b"), "a \\| b");
        assert_eq!(escape_markdown("<script>x</script>"), "&lt;script&gt;x&lt;/script&gt;");
        assert_eq!(escape_markdown("`rm`\nnext"), "\\`rm\\`<br>next");
        assert_eq!(escape_markdown("# not a heading"), "\\# not a heading");
        assert_eq!(escape_markdown("[x](javascript:alert(1))"), "\\[x\\](javascript:alert(1))");
    }

    #[test]
    fn terminal_escapes_in_values_are_shown_not_kept() {
        // `\e` is the sanitiser's visible escape; Markdown then escapes its backslash.
        assert_eq!(escape_markdown("a\x1b]52;c;eA==\x07"), "a\\\\e\\]52;c;eA==\\\\a");
    }

    #[test]
    fn code_spans_hold_backticks_and_pipes() {
        assert_eq!(code_span("ls -l".into()).to_string(), "`ls -l`");
        // CommonMark strips one space from each end of a padded span.
        assert_eq!(code_span("echo `date`".into()).to_string(), "`` echo `date` ``");
        assert_eq!(code_span("a | b".into()).to_string(), "`a \\| b`");
    }

    #[test]
    fn a_template_error_names_the_file_and_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bad.md.j2");
        std::fs::write(&path, "# {{ title }}\n\n{% for x in %}\n").expect("write");
        let err = Templates::load(path.to_str().unwrap_or_default()).err().expect("an error");
        assert!(err.message.contains("bad.md.j2:3:"), "{}", err.message);
        assert!(Templates::load("nonesuch").err().map(|e| e.message).unwrap_or_default().contains("default"));
    }
}
