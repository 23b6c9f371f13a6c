//! An `assert:` expression's result in words: the values it compared, not its text.
//!
//! `stdout | last_line | number < vars.critical_percent | int` that fails reads `97% >= 90%`:
//! a comparison has both sides evaluated and printed with the operator that holds; `and` and
//! `or` show the parts that decided; anything else shows the value it judged. The expression's
//! truth is always MiniJinja's own evaluation of the whole: the words only explain it.

use minijinja::{Environment, Value};

use super::template::{self, ExprError};
use crate::expr::show_number;

/// What an expression came to and why, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub ok: bool,
    /// `97% >= 90%`, `"degraded" != "ok"`, `json.healthy = false`.
    pub text: String,
}

/// Evaluates `expr` over `ctx` and explains the result; `unit` dresses its numbers (`%`,
/// `bytes`, `seconds` or any word). Fails as [`template::eval_bool`] does.
pub fn explain(env: &Environment<'_>, expr: &str, ctx: &Value, unit: Option<&str>) -> Result<Explained, ExprError> {
    let ok = template::eval_bool(env, expr, ctx)?;
    let text = Explainer { env, ctx, unit }.words(expr, ok);
    Ok(Explained { ok, text })
}

struct Explainer<'a> {
    env: &'a Environment<'a>,
    ctx: &'a Value,
    unit: Option<&'a str>,
}

impl Explainer<'_> {
    /// Words for `expr`, known to be `ok`: what holds, as the values show it.
    fn words(&self, expr: &str, ok: bool) -> String {
        let expr = unwrap_parens(expr.trim());
        for (word, joiner) in [("or", " or "), ("and", " and ")] {
            let parts = split_top(expr, word);
            if parts.len() > 1 {
                let judged: Vec<(&str, bool)> = parts.iter().map(|p| (*p, self.truth(p).unwrap_or(ok))).collect();
                // `a or b` holds by its first true part and fails by all; `and` the other way.
                let deciding: Vec<&(&str, bool)> = if (word == "or") == ok {
                    judged.iter().filter(|(_, t)| *t == ok).take(1).collect()
                } else {
                    judged.iter().collect()
                };
                let joiner = if deciding.iter().all(|(_, t)| *t) { joiner } else { " and " };
                return deciding.iter().map(|(p, t)| self.words(p, *t)).collect::<Vec<_>>().join(joiner);
            }
        }
        if let Some(inner) = expr.strip_prefix("not ") {
            // `not X` is true when X is false: the words for X being false say the same.
            return self.words(inner, !ok);
        }
        if let Some((left, op, right)) = comparison(expr) {
            let shown_op = if ok { op.to_string() } else { negate(op).to_string() };
            let (l, r) = (self.value(left), self.value(right));
            return match (l, r) {
                // A value read by name is named by its last part: `value 0.07 >= 0.05`.
                (Some(l), Some(r)) => match subject(left) {
                    Some(name) => format!("{name} {l} {shown_op} {r}"),
                    None => format!("{l} {shown_op} {r}"),
                },
                _ => format!("{} ({ok})", expr),
            };
        }
        if let Some((left, test)) = split_test(expr) {
            let test = test.trim();
            let (positive, negated) = match test.strip_prefix("not ") {
                Some(rest) => (rest.trim(), true),
                None => (test, false),
            };
            let holds = ok != negated;
            let shown = self.value(left).unwrap_or_else(|| left.trim().to_string());
            return format!("{shown} is {}{positive}", if holds { "" } else { "not " });
        }
        let name = leading_name(expr);
        match self.value(expr) {
            Some(v) if name == expr => format!("{name} = {v}"),
            Some(v) if !name.is_empty() => format!("{name}: {v}"),
            Some(v) => v,
            None => format!("{}", ok),
        }
    }

    fn truth(&self, expr: &str) -> Option<bool> {
        template::eval_bool(self.env, expr, self.ctx).ok()
    }

    /// A side of a comparison evaluated and shown; `None` if it does not evaluate alone.
    fn value(&self, expr: &str) -> Option<String> {
        let compiled = self.env.compile_expression(expr.trim()).ok()?;
        let value = compiled.eval(self.ctx).ok().filter(|v| !v.is_undefined())?;
        Some(show_value(&value, self.unit))
    }
}

/// A value as a result shows it: numbers with the unit, strings quoted, long ones cut.
pub fn show_value(value: &Value, unit: Option<&str>) -> String {
    if value.is_number()
        && let Ok(n) = f64::try_from(value.clone())
    {
        return show_quantity(n, unit);
    }
    let text = if let Some(s) = value.as_str() {
        format!("{s:?}")
    } else if value.is_none() || value.is_undefined() {
        "none".to_string()
    } else {
        serde_json::to_string(value).unwrap_or_else(|_| value.to_string())
    };
    cut(&text)
}

/// A number in a unit: `97%`, `12.0 MB` (`bytes`), `2m 5s` (`seconds`), `3 members`.
pub fn show_quantity(n: f64, unit: Option<&str>) -> String {
    match unit.map(str::trim) {
        None | Some("") => show_number(n),
        Some("bytes") => show_bytes(n),
        Some("seconds") if n.is_finite() && n >= 0.0 => {
            // Capped far beyond any use: `from_secs_f64` panics on overflow.
            let d = std::time::Duration::from_secs_f64(n.min(1e12));
            super::show_duration(d)
        }
        Some(u) if u.starts_with(|c: char| c.is_alphabetic()) => format!("{} {u}", show_number(n)),
        Some(u) => format!("{}{u}", show_number(n)),
    }
}

/// Bytes in decimal units with one decimal: `512 B`, `12.0 MB`.
fn show_bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if n.abs() < 1000.0 {
        return format!("{} B", show_number(n));
    }
    let mut value = n;
    let mut unit = "B";
    for u in UNITS {
        if value.abs() < 1000.0 {
            break;
        }
        value /= 1000.0;
        unit = u;
    }
    format!("{value:.1} {unit}")
}

fn cut(text: &str) -> String {
    let one_line = text.replace('\n', "\\n");
    if one_line.chars().count() > 60 {
        format!("{}…", one_line.chars().take(60).collect::<String>())
    } else {
        one_line
    }
}

/// The operator that holds when `op` does not.
fn negate(op: &str) -> &'static str {
    match op {
        "<" => ">=",
        "<=" => ">",
        ">" => "<=",
        ">=" => "<",
        "==" => "!=",
        "!=" => "==",
        "in" => "not in",
        _ => "in",
    }
}

/// Byte offsets of the code at the top level of `expr`: outside quotes and brackets.
fn top_level(expr: &str) -> Vec<bool> {
    let mut top = Vec::with_capacity(expr.len());
    let (mut depth, mut quote) = (0usize, None::<char>);
    for c in expr.chars() {
        let here = match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                false
            }
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    false
                }
                '(' | '[' | '{' => {
                    depth += 1;
                    false
                }
                ')' | ']' | '}' => {
                    depth = depth.saturating_sub(1);
                    false
                }
                _ => depth == 0,
            },
        };
        top.extend(std::iter::repeat_n(here, c.len_utf8()));
    }
    top
}

/// `(a < b)` to `a < b`, when the parentheses enclose the whole.
fn unwrap_parens(expr: &str) -> &str {
    let mut expr = expr;
    while expr.starts_with('(') && expr.ends_with(')') {
        let inner = &expr[1..expr.len() - 1];
        let top = top_level(inner);
        // Balanced inside: no top-level `)` closes early.
        let mut depth = 0i32;
        let mut balanced = true;
        for (i, c) in inner.char_indices() {
            if !top[i] && c == '(' {
                depth += 1;
            }
            if c == ')' {
                depth -= 1;
                if depth < 0 {
                    balanced = false;
                    break;
                }
            }
        }
        if !balanced {
            break;
        }
        expr = inner.trim();
    }
    expr
}

/// Positions of a word operator (` and `) at the top level.
fn word_at_top(expr: &str, word: &str) -> Vec<usize> {
    let top = top_level(expr);
    let bytes = expr.as_bytes();
    let mut found = Vec::new();
    let mut start = 0;
    while let Some(i) = expr[start..].find(word).map(|i| i + start) {
        let end = i + word.len();
        let bounded = i > 0
            && bytes[i - 1].is_ascii_whitespace()
            && end < bytes.len()
            && bytes[end].is_ascii_whitespace()
            && top[i];
        if bounded {
            found.push(i);
        }
        start = end;
    }
    found
}

/// `a and b and c` into its parts (one part when `word` is not at the top level).
fn split_top<'e>(expr: &'e str, word: &str) -> Vec<&'e str> {
    // A conditional (`a if c else b`) is not a chain of parts.
    if !word_at_top(expr, "if").is_empty() {
        return vec![expr];
    }
    let mut parts = Vec::new();
    let mut from = 0;
    for i in word_at_top(expr, word) {
        parts.push(expr[from..i].trim());
        from = i + word.len();
    }
    parts.push(expr[from..].trim());
    parts
}

/// `left OP right` for the one comparison at the top level; `None` for anything else.
fn comparison(expr: &str) -> Option<(&str, &'static str, &str)> {
    if !word_at_top(expr, "if").is_empty() || !word_at_top(expr, "is").is_empty() {
        return None;
    }
    let top = top_level(expr);
    let mut found = Vec::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if top[i] {
            let two = expr.get(i..i + 2).unwrap_or("");
            let op = match two {
                "==" | "!=" | "<=" | ">=" => Some((two, 2)),
                _ if bytes[i] == b'<' || bytes[i] == b'>' => Some((&expr[i..=i], 1)),
                _ => None,
            };
            if let Some((op, len)) = op {
                found.push((i, op, len));
                i += len;
                continue;
            }
        }
        i += 1;
    }
    for not_in in word_at_top(expr, "not in") {
        found.push((not_in, "not in", "not in".len()));
    }
    for at in word_at_top(expr, "in") {
        if !found.iter().any(|(i, op, _)| *op == "not in" && *i + 4 == at) {
            found.push((at, "in", 2));
        }
    }
    let [(at, op, len)] = found.as_slice() else { return None };
    let op: &'static str = match *op {
        "==" => "==",
        "!=" => "!=",
        "<=" => "<=",
        ">=" => ">=",
        "<" => "<",
        ">" => ">",
        "in" => "in",
        _ => "not in",
    };
    let (left, right) = (expr[..*at].trim(), expr[at + len..].trim());
    (!left.is_empty() && !right.is_empty()).then_some((left, op, right))
}

/// `value is defined` into `value` and `defined`.
fn split_test(expr: &str) -> Option<(&str, &str)> {
    let [at] = word_at_top(expr, "is")[..] else { return None };
    Some((&expr[..at], &expr[at + 2..]))
}

/// The last part of a side that is only a name, `status` of `json.status`; none for a
/// variable (`vars.max` is the bar, not the subject) or anything computed.
fn subject(side: &str) -> Option<&str> {
    let side = side.trim();
    let plain = leading_name(side) == side && !side.is_empty() && !side.starts_with("vars.");
    let last = side.rsplit('.').next()?;
    (plain && last.parse::<f64>().is_err() && !["true", "false", "none"].contains(&last)).then_some(last)
}

/// The dotted name an expression starts with: `json.status` of `json.status | lower`.
fn leading_name(expr: &str) -> &str {
    let end = expr.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')).unwrap_or(expr.len());
    expr[..end].trim_end_matches('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(expr: &str, ctx: &Value, unit: Option<&str>) -> (bool, String) {
        let env = template::environment();
        let explained = explain(&env, expr, ctx, unit).unwrap_or_else(|e| panic!("{expr}: {e}"));
        (explained.ok, explained.text)
    }

    #[test]
    fn a_failed_comparison_reads_as_both_values_with_the_operator_that_holds() {
        let ctx =
            minijinja::context! { stdout => "Use%\n 97%\n", vars => minijinja::context! { critical_percent => "90" } };
        let expr = "stdout | last_line | number < vars.critical_percent | int";
        assert_eq!(words(expr, &ctx, Some("%")), (false, "97% >= 90%".to_string()));
        let ctx = minijinja::context! { stdout => " 41%", vars => minijinja::context! { critical_percent => "90" } };
        assert_eq!(words(expr, &ctx, Some("%")), (true, "41% < 90%".to_string()));
    }

    #[test]
    fn strings_are_quoted_and_membership_is_negated_in_words() {
        let ctx = minijinja::context! { json => minijinja::context! { status => "degraded" }, body => "all fine" };
        assert_eq!(words("json.status == 'ok'", &ctx, None), (false, r#"status "degraded" != "ok""#.to_string()));
        assert_eq!(words("'error' in body", &ctx, None), (false, r#""error" not in "all fine""#.to_string()));
        assert_eq!(words("not 'error' in body", &ctx, None), (true, r#""error" not in "all fine""#.to_string()));
    }

    #[test]
    fn and_or_show_the_parts_that_decided() {
        let ctx = minijinja::context! { a => 1, b => 5 };
        assert_eq!(words("a == 1 and b < 3", &ctx, None), (false, "b 5 >= 3".to_string()));
        assert_eq!(words("a == 2 or b < 3", &ctx, None), (false, "a 1 != 2 and b 5 >= 3".to_string()));
        assert_eq!(words("(a == 2) or (b > 3)", &ctx, None), (true, "b 5 > 3".to_string()));
    }

    #[test]
    fn other_expressions_show_the_value_they_judged() {
        let ctx = minijinja::context! { json => minijinja::context! { healthy => false } };
        assert_eq!(words("json.healthy", &ctx, None), (false, "json.healthy = false".to_string()));
        assert_eq!(words("json.missing is defined", &ctx, None), (false, "json.missing is not defined".to_string()));
    }

    #[test]
    fn units_dress_numbers() {
        assert_eq!(show_quantity(12_000_000.0, Some("bytes")), "12.0 MB");
        assert_eq!(show_quantity(512.0, Some("bytes")), "512 B");
        assert_eq!(show_quantity(3.0, Some("members")), "3 members");
        assert_eq!(show_quantity(125.0, Some("seconds")), "2m 5s");
    }
}
