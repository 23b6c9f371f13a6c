//! The fields of a structured record (a JSON object or logfmt pairs on its first line), and the
//! field filters of `--where` (`level=error`, `status>=500`).
//!
//! Only records that already matched the pattern and the window are split into fields, so a
//! filter costs nothing on the records a search passes over.

use std::fmt;

/// A record's fields in the order written; nested JSON objects are flattened to `a.b` keys.
pub fn parse(record: &[u8]) -> Option<Vec<(String, String)>> {
    let line = record.split(|b| *b == b'\n').next()?.trim_ascii();
    if line.first() == Some(&b'{') {
        let value: serde_json::Value = serde_json::from_slice(line).ok()?;
        let mut fields = Vec::new();
        flatten("", &value, &mut fields);
        return Some(fields);
    }
    logfmt(line)
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let key = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                flatten(&key, inner, out);
            }
        }
        serde_json::Value::String(text) => out.push((prefix.to_string(), text.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// `key=value key="quoted value"`; None unless the line is made of such pairs (the first token
/// at least), so plain text with an `=` in it is not taken for fields.
fn logfmt(line: &[u8]) -> Option<Vec<(String, String)>> {
    let text = std::str::from_utf8(line).ok()?;
    let mut fields = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let key_end = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
        let key = &rest[..key_end];
        if key.is_empty() || !key.chars().all(|c| c.is_alphanumeric() || "_.-@$/".contains(c)) {
            return None;
        }
        rest = &rest[key_end..];
        let value = if let Some(after) = rest.strip_prefix("=\"") {
            let mut end = None;
            let mut escaped = false;
            for (i, c) in after.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let end = end?;
            rest = &after[end + 1..];
            after[..end].replace("\\\"", "\"")
        } else if let Some(after) = rest.strip_prefix('=') {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            rest = &after[end..];
            after[..end].to_string()
        } else if fields.is_empty() {
            return None;
        } else {
            // A bare word among pairs: a flag without a value.
            String::new()
        };
        fields.push((key.to_string(), value));
        rest = rest.trim_start();
    }
    (!fields.is_empty()).then_some(fields)
}

/// The value of `key` in a record's fields.
pub fn get<'a>(fields: &'a [(String, String)], key: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// How a `--where` filter compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Ge,
    Le,
    Gt,
    Lt,
}

/// One `--where` filter: `status>=500`, `level=error`, `upstream!=a`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldFilter {
    pub key: String,
    pub op: Op,
    pub value: String,
}

/// A `--where` filter that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterError {
    /// No operator: `status500`.
    NoOperator(String),
    /// Nothing before the operator: `=error`.
    NoKey(String),
    /// `<`, `>`, `<=` or `>=` with a value that is not a number.
    NotANumber(String),
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterError::NoOperator(text) => {
                write!(f, "{text:?} has no comparison (expected FIELD=VALUE, !=, >=, <=, > or <)")
            }
            FilterError::NoKey(text) => write!(f, "{text:?} names no field before its comparison"),
            FilterError::NotANumber(text) => write!(f, "{text:?} compares with <, >, <= or >= but not to a number"),
        }
    }
}

impl std::error::Error for FilterError {}

impl FieldFilter {
    /// Reads `KEY=VALUE`, `KEY!=VALUE`, `KEY>=N`, `KEY<=N`, `KEY>N`, `KEY<N`.
    pub fn parse(text: &str) -> Result<FieldFilter, FilterError> {
        let at = text.find(['=', '!', '<', '>']).ok_or_else(|| FilterError::NoOperator(text.to_string()))?;
        let rest = &text[at..];
        let (op, len) = [("!=", Op::Ne), (">=", Op::Ge), ("<=", Op::Le), ("=", Op::Eq), (">", Op::Gt), ("<", Op::Lt)]
            .into_iter()
            .find(|(sign, _)| rest.starts_with(sign))
            .map(|(sign, op)| (op, sign.len()))
            .ok_or_else(|| FilterError::NoOperator(text.to_string()))?;
        let key = text[..at].trim();
        if key.is_empty() {
            return Err(FilterError::NoKey(text.to_string()));
        }
        let value = rest[len..].trim().to_string();
        if matches!(op, Op::Ge | Op::Le | Op::Gt | Op::Lt) && value.parse::<f64>().is_err() {
            return Err(FilterError::NotANumber(text.to_string()));
        }
        Ok(FieldFilter { key: key.to_string(), op, value })
    }

    /// Whether a record's fields pass. A record without the field passes only `!=`.
    pub fn accepts(&self, fields: &[(String, String)]) -> bool {
        let Some(found) = get(fields, &self.key) else { return self.op == Op::Ne };
        let numbers = found.parse::<f64>().ok().zip(self.value.parse::<f64>().ok());
        match (self.op, numbers) {
            (Op::Eq, Some((a, b))) => a == b,
            (Op::Eq, None) => found.eq_ignore_ascii_case(&self.value),
            (Op::Ne, Some((a, b))) => a != b,
            (Op::Ne, None) => !found.eq_ignore_ascii_case(&self.value),
            (Op::Ge, Some((a, b))) => a >= b,
            (Op::Le, Some((a, b))) => a <= b,
            (Op::Gt, Some((a, b))) => a > b,
            (Op::Lt, Some((a, b))) => a < b,
            (_, None) => false,
        }
    }
}

/// Whether a record passes every filter (a record without fields passes none).
pub fn accepts_all(filters: &[FieldFilter], record: &[u8]) -> bool {
    if filters.is_empty() {
        return true;
    }
    parse(record).is_some_and(|fields| filters.iter().all(|f| f.accepts(&fields)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(text: &str) -> FieldFilter {
        FieldFilter::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn filters_compare_numbers_as_numbers_and_words_without_case() {
        let json = br#"{"level":"ERROR","status":502,"req":{"upstream":"b"}}"#;
        let fields = parse(json).unwrap_or_default();
        assert!(filter("status>=500").accepts(&fields));
        assert!(!filter("status<500").accepts(&fields));
        assert!(filter("level=error").accepts(&fields));
        assert!(filter("req.upstream=b").accepts(&fields));
        assert!(filter("missing!=x").accepts(&fields));
        assert!(!filter("missing=x").accepts(&fields));
        let logfmt = parse(br#"ts=2026-11-24T06:00:00Z level=warn msg="slow \"db\"" status=200"#).unwrap_or_default();
        assert_eq!(get(&logfmt, "msg"), Some(r#"slow "db""#));
        assert!(filter("status=200").accepts(&logfmt));
        assert!(parse(b"2026-11-24 06:00:00 INFO a=b").is_none());
    }

    #[test]
    fn a_filter_without_a_comparison_or_a_number_is_refused() {
        assert_eq!(FieldFilter::parse("status500"), Err(FilterError::NoOperator("status500".into())));
        assert_eq!(FieldFilter::parse("=x"), Err(FilterError::NoKey("=x".into())));
        assert_eq!(FieldFilter::parse("status>=high"), Err(FilterError::NotANumber("status>=high".into())));
    }
}
