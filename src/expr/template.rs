//! The one template and expression language of runbooks (MiniJinja): `{{ }}` in strings,
//! `when:` and `assert:` expressions.

use std::collections::BTreeSet;
use std::fmt;

use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value};

/// A template or expression that does not compile, or whose evaluation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprError {
    /// It does not parse: `checks.db.status ==`.
    Syntax(String),
    /// It parsed, but evaluating it failed: an undefined name, a filter given the wrong value.
    Evaluation(String),
}

impl ExprError {
    fn from_minijinja(err: &minijinja::Error) -> ExprError {
        let text = describe_error(err);
        match err.kind() {
            minijinja::ErrorKind::SyntaxError => ExprError::Syntax(text),
            _ => ExprError::Evaluation(text),
        }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExprError::Syntax(text) | ExprError::Evaluation(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for ExprError {}

impl From<ExprError> for crate::error::Error {
    fn from(err: ExprError) -> Self {
        crate::error::Error::runtime(err.to_string())
    }
}

use crate::template_limits;

/// The environment every runbook template and expression is compiled and run in.
///
/// Undefined values are errors: a typo in `{{ vars.base_ulr }}` must not quietly probe `/healthz`.
/// It runs under the runbook [limits](crate::template_limits::RUNBOOK).
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    template_limits::apply(&mut env, template_limits::RUNBOOK);
    env.add_filter("last_line", last_line);
    env.add_filter("first_line", first_line);
    env.add_filter("number", number);
    env
}

/// The last non-empty line: `df` prints a header before the figure.
fn last_line(text: &str) -> String {
    text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").to_string()
}

fn first_line(text: &str) -> String {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").to_string()
}

/// The number at the start of a text, ignoring spaces and a trailing unit: ` 91%` is 91.
fn number(text: &str) -> Result<f64, minijinja::Error> {
    let trimmed = text.trim();
    let end = trimmed
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+'))))
        .map_or(trimmed.len(), |(i, _)| i);
    trimmed[..end].parse::<f64>().map_err(|_| {
        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, format!("{text:?} does not start with a number"))
    })
}

/// Whether a string has template syntax at all (most do not; they need no rendering).
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}

/// Renders a template string against `ctx`.
pub fn render(env: &Environment<'_>, source: &str, ctx: &Value) -> Result<String, RenderError> {
    if !is_template(source) {
        return Ok(source.to_string());
    }
    template_limits::check_nesting(source).map_err(|e| RenderError {
        kind: ErrorKind::SyntaxError,
        message: e.to_string(),
        reads: BTreeSet::new(),
    })?;
    let failed = |e: minijinja::Error| RenderError {
        kind: e.kind(),
        message: describe_error(&e),
        // Only an undefined value needs to know what the template reads (to say which variable).
        reads: if e.kind() == ErrorKind::UndefinedError {
            template_names(env, source).unwrap_or_default()
        } else {
            BTreeSet::new()
        },
    };
    let template = env.template_from_str(source).map_err(failed)?;
    template_limits::render_capped(&template, ctx, template_limits::RUNBOOK.max_output).map_err(failed)
}

/// Why a template did not render: MiniJinja's kind, its message in one line, and (for an
/// undefined value) the dotted names the template reads, so callers can tell which one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    pub kind: ErrorKind,
    pub message: String,
    pub reads: BTreeSet<String>,
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RenderError {}

/// Evaluates an expression to a truth value.
pub fn eval_bool(env: &Environment<'_>, expr: &str, ctx: &Value) -> Result<bool, ExprError> {
    template_limits::check_nesting(expr).map_err(|e| ExprError::Syntax(e.to_string()))?;
    let compiled = env.compile_expression(expr).map_err(|e| ExprError::from_minijinja(&e))?;
    let value = compiled.eval(ctx).map_err(|e| ExprError::from_minijinja(&e))?;
    Ok(value.is_true())
}

/// Compiles a template and returns the dotted names it reads (`vars.base_url`), or the error.
pub fn template_names(env: &Environment<'_>, source: &str) -> Result<BTreeSet<String>, ExprError> {
    template_limits::check_nesting(source).map_err(|e| ExprError::Syntax(e.to_string()))?;
    let template = env.template_from_str(source).map_err(|e| ExprError::from_minijinja(&e))?;
    Ok(template.undeclared_variables(true).into_iter().collect())
}

/// Compiles an expression and returns the dotted names it reads (`checks.db.status`), or the error.
pub fn expression_names(env: &Environment<'_>, source: &str) -> Result<BTreeSet<String>, ExprError> {
    template_limits::check_nesting(source).map_err(|e| ExprError::Syntax(e.to_string()))?;
    let expr = env.compile_expression(source).map_err(|e| ExprError::from_minijinja(&e))?;
    Ok(expr.undeclared_variables(true).into_iter().collect())
}

/// The filters (`| name`) and tests (`is name`) a template or expression names that the
/// environment does not have, as `filter name` / `test name`. MiniJinja finds them only when
/// the template runs; the lint wants them at load. Quoted text is skipped.
pub fn unknown_filters_and_tests(env: &Environment<'_>, source: &str, is_template: bool) -> Vec<String> {
    static PATTERN: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let Some(pattern) = PATTERN.get_or_init(|| {
        regex::Regex::new(r"(\|)\s*([A-Za-z_][A-Za-z0-9_]*)|\bis\s+(?:not\s+)?([A-Za-z_][A-Za-z0-9_]*)").ok()
    }) else {
        return Vec::new();
    };
    let code = code_of(source, is_template);
    let mut unknown = Vec::new();
    for found in pattern.captures_iter(&code) {
        let (what, name, probe) = match (found.get(2), found.get(3)) {
            (Some(filter), _) => ("filter", filter.as_str(), format!("none | {}", filter.as_str())),
            (None, Some(test)) => ("test", test.as_str(), format!("none is {}", test.as_str())),
            _ => continue,
        };
        let missing = env.compile_expression(&probe).is_ok_and(|expr| {
            expr.eval(()).err().is_some_and(|e| matches!(e.kind(), ErrorKind::UnknownFilter | ErrorKind::UnknownTest))
        });
        let entry = format!("{what} {name}");
        if missing && !unknown.contains(&entry) {
            unknown.push(entry);
        }
    }
    unknown
}

/// The code of a template (inside `{{ }}` and `{% %}`) or expression, with quoted text blanked.
fn code_of(source: &str, is_template: bool) -> String {
    let mut code = String::with_capacity(source.len());
    let mut inside = !is_template;
    let mut quote: Option<char> = None;
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        if is_template && quote.is_none() {
            if c == '{' && matches!(chars.peek(), Some('{' | '%')) {
                inside = true;
            } else if matches!(c, '}' | '%') && chars.peek() == Some(&'}') {
                inside = false;
            }
        }
        if !inside {
            code.push(' ');
            continue;
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {
                code.push(' ');
                continue;
            }
            None if c == '\'' || c == '"' => quote = Some(c),
            None => {}
        }
        code.push(c);
    }
    code
}

/// A MiniJinja error in one line, without the template name it makes up for strings.
pub fn describe_error(err: &minijinja::Error) -> String {
    let mut text = err.detail().map_or_else(|| err.kind().to_string(), str::to_string);
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        text.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_turn_df_output_into_a_number() {
        let env = environment();
        let ctx = minijinja::context! { stdout => "Use%\n 91%\n" };
        assert_eq!(eval_bool(&env, "stdout | last_line | number < 90", &ctx), Ok(false));
        assert_eq!(eval_bool(&env, "stdout | last_line | number > 90", &ctx), Ok(true));
    }

    #[test]
    fn undefined_variables_are_errors_not_empty_strings() {
        let env = environment();
        let ctx = minijinja::context! { vars => minijinja::context! { base_url => "http://x" } };
        assert_eq!(render(&env, "{{ vars.base_url }}/healthz", &ctx), Ok("http://x/healthz".to_string()));
        let err = render(&env, "{{ vars.base_ulr }}/healthz", &ctx).expect_err("undefined");
        assert_eq!(err.kind, ErrorKind::UndefinedError);
        assert!(err.reads.contains("vars.base_ulr"), "{err:?}");
    }

    #[test]
    fn names_read_by_expressions_are_reported_with_their_paths() {
        let env = environment();
        let names = expression_names(&env, "checks.db.status == 'critical' and vars.x").unwrap_or_default();
        assert!(names.iter().any(|n| n.starts_with("checks.db")), "{names:?}");
        assert!(expression_names(&env, "checks.db.status ==").is_err());
    }
}
