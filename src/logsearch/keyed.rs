//! Finding a structured record's time by its key, wherever the key sits: JSON lines
//! (`{"level":"info","time":"…"}`, nested as in MongoDB's `{"t":{"$date":"…"}}`) and logfmt
//! (`level=info ts=… msg="…"`).
//!
//! No record is parsed as a whole: the key is found with a substring search and only its value is
//! read, so a record head costs one `memmem` and a short parse, like a text stamp.

use memchr::memmem;

/// How a record writes its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// One JSON object per line.
    Json,
    /// `key=value key="quoted value"` pairs.
    Logfmt,
}

impl Syntax {
    pub fn name(self) -> &'static str {
        match self {
            Syntax::Json => "json",
            Syntax::Logfmt => "logfmt",
        }
    }
}

/// The keys that hold a record's time, in the order ties are broken. Nested keys are found by
/// their last part (MongoDB's `t.$date` is `$date`).
pub const TIME_KEYS: &[&str] = &[
    "time",
    "ts",
    "timestamp",
    "@timestamp",
    "$date",
    "date",
    "eventTime",
    "datetime",
    "@t",
    "time_iso8601",
    "timeMillis",
    "created",
    "asctime",
    "__REALTIME_TIMESTAMP",
];

/// A key's value as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// A JSON string or a logfmt value, without quotes.
    Text(&'a [u8]),
    /// A bare JSON number.
    Number(&'a [u8]),
}

/// Finds the value of one key in records of one syntax.
#[derive(Debug, Clone)]
pub struct KeyFinder {
    syntax: Syntax,
    /// `"key"` for JSON, `key=` for logfmt.
    needle: memmem::Finder<'static>,
}

impl KeyFinder {
    pub fn new(syntax: Syntax, key: &str) -> KeyFinder {
        let needle = match syntax {
            Syntax::Json => format!("\"{key}\""),
            Syntax::Logfmt => format!("{key}="),
        };
        KeyFinder { syntax, needle: memmem::Finder::new(needle.as_bytes()).into_owned() }
    }

    /// The value of the key in `line`, if the line has it.
    pub fn value<'a>(&self, line: &'a [u8]) -> Option<Value<'a>> {
        let len = self.needle.needle().len();
        let mut from = 0;
        while let Some(i) = self.needle.find(&line[from..]) {
            let at = from + i;
            from = at + 1;
            let after = at + len;
            let found = match self.syntax {
                Syntax::Json => json_value(line, at, after),
                Syntax::Logfmt => logfmt_value(line, at, after),
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

/// `"key"` at `at` is a key (not text inside a string, where its quotes would be escaped) when a
/// colon follows it.
fn json_value(line: &[u8], at: usize, after: usize) -> Option<Value<'_>> {
    if at > 0 && line[at - 1] == b'\\' {
        return None;
    }
    let mut pos = skip_spaces(line, after);
    if line.get(pos) != Some(&b':') {
        return None;
    }
    pos = skip_spaces(line, pos + 1);
    match line.get(pos)? {
        b'"' => {
            let start = pos + 1;
            let len = memchr::memchr(b'"', &line[start..])?;
            Some(Value::Text(&line[start..start + len]))
        }
        b'0'..=b'9' => {
            let len = line[pos..].iter().take_while(|b| b.is_ascii_digit() || **b == b'.').count();
            Some(Value::Number(&line[pos..pos + len]))
        }
        _ => None,
    }
}

/// `key=` at `at` is a key when it starts the line or follows a space.
fn logfmt_value(line: &[u8], at: usize, after: usize) -> Option<Value<'_>> {
    if at > 0 && !matches!(line[at - 1], b' ' | b'\t') {
        return None;
    }
    if line.get(after) == Some(&b'"') {
        let start = after + 1;
        let len = memchr::memchr(b'"', &line[start..])?;
        return Some(Value::Text(&line[start..start + len]));
    }
    let len = line[after..].iter().take_while(|b| !matches!(b, b' ' | b'\t')).count();
    (len > 0).then(|| Value::Text(&line[after..after + len]))
}

fn skip_spaces(line: &[u8], mut pos: usize) -> usize {
    while matches!(line.get(pos), Some(b' ' | b'\t')) {
        pos += 1;
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(key: &str, line: &str) -> Option<String> {
        match KeyFinder::new(Syntax::Json, key).value(line.as_bytes())? {
            Value::Text(t) => Some(format!("text {}", String::from_utf8_lossy(t))),
            Value::Number(n) => Some(format!("number {}", String::from_utf8_lossy(n))),
        }
    }

    fn logfmt(key: &str, line: &str) -> Option<String> {
        match KeyFinder::new(Syntax::Logfmt, key).value(line.as_bytes())? {
            Value::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
            Value::Number(_) => None,
        }
    }

    #[test]
    fn a_json_key_is_found_anywhere_but_inside_a_string() {
        assert_eq!(
            json("time", r#"{"msg":"x","time":"2026-11-24T06:00:00Z"}"#),
            Some("text 2026-11-24T06:00:00Z".into())
        );
        assert_eq!(json("ts", r#"{"level":"info", "ts" : 1732428000.5,"x":1}"#), Some("number 1732428000.5".into()));
        assert_eq!(
            json("$date", r#"{"t":{"$date":"2026-11-24T06:00:00.1+00:00"},"s":"I"}"#),
            Some("text 2026-11-24T06:00:00.1+00:00".into())
        );
        // The word in a message, escaped, and a value that is the word, are not keys.
        assert_eq!(json("time", r#"{"log":"{\"time\":\"x\"}","stream":"time","x":1}"#), None);
        assert_eq!(json("time", r#"{"datetime":"2026-11-24T06:00:00Z"}"#), None);
    }

    #[test]
    fn a_logfmt_key_is_a_whole_word_and_may_be_quoted() {
        assert_eq!(logfmt("time", r#"time="2026-11-24T06:00:00Z" level=info"#), Some("2026-11-24T06:00:00Z".into()));
        assert_eq!(
            logfmt("ts", "level=info ts=2026-11-24T06:00:00.123Z caller=x"),
            Some("2026-11-24T06:00:00.123Z".into())
        );
        assert_eq!(logfmt("ts", "level=info lastts=1 msg=x"), None);
    }
}
