//! The limits every MiniJinja template and expression runs under (runbooks and post-mortems):
//! a template is code from a file anyone may hand us, so it must not hang, allocate without
//! bound, overflow the stack or panic.
//!
//! - **fuel**: MiniJinja charges every instruction and every byte produced; a render that runs
//!   out stops with an error (nested loops, string multiplication);
//! - **nesting**: checked on the source *before* MiniJinja parses it, because its parser recurses
//!   once per unary `not`/`-` without a limit of its own (20,000 of them overflow the stack);
//! - **recursion**: macros and includes calling themselves;
//! - **output size**: a render writes into a buffer that refuses to grow past a cap;
//! - **`format`**: replaced by [`format_filter`], which cannot panic on a character boundary.

use std::fmt::Write as _;

use minijinja::{Environment, Error, ErrorKind, State, Value};

/// How deep brackets and chains of unary operators may nest in one template or expression.
/// Real templates stay under ten.
pub const MAX_NESTING: usize = 64;

/// How deep macros and includes may recurse at render time.
pub const MAX_RECURSION: usize = 64;

/// The budgets of one kind of template.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// MiniJinja fuel per render (about one instruction, or 64 bytes of data, per unit).
    pub fuel: u64,
    /// Bytes a render may produce.
    pub max_output: usize,
}

/// Runbook templates (a URL, a header, a command) and expressions (`when:`, `assert:`): small.
pub const RUNBOOK: Limits = Limits { fuel: 200_000, max_output: 1 << 20 };

/// Post-mortem templates: a loop over every event of a long incident.
pub const POSTMORTEM: Limits = Limits { fuel: 20_000_000, max_output: 16 << 20 };

/// Puts `env` under `limits`: fuel, recursion, and the panic-free `format`.
pub fn apply(env: &mut Environment<'_>, limits: Limits) {
    env.set_fuel(Some(limits.fuel));
    env.set_recursion_limit(MAX_RECURSION);
    env.add_filter("format", format_filter);
}

/// A template or expression nested deeper than [`MAX_NESTING`], and the line where it got there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    pub line: usize,
}

impl std::fmt::Display for TooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: brackets and unary operators nest deeper than {MAX_NESTING} levels", self.line)
    }
}

impl std::error::Error for TooDeep {}

/// Refuses a template or expression whose brackets or unary operators nest deeper than
/// [`MAX_NESTING`], before MiniJinja's parser sees it. String literals are skipped; the count is
/// conservative (a binary minus counts as one, `{{` as two) and linear in the source.
pub fn check_nesting(source: &str) -> Result<(), TooDeep> {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut unary_run = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' | b'\'' => {
                // A string literal: nothing inside it nests. An unclosed one runs to the end.
                i += 1;
                while i < bytes.len() && bytes[i] != b {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                unary_run = 0;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                unary_run = 0;
            }
            b'-' | b'+' => unary_run += 1,
            b'n' if source[i..].starts_with("not")
                && !bytes.get(i + 3).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')) =>
            {
                unary_run += 1;
                i += 2;
            }
            b if b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80 => unary_run = 0,
            _ => {}
        }
        if depth + unary_run > MAX_NESTING {
            let line = 1 + bytes[..i.min(bytes.len())].iter().filter(|c| **c == b'\n').count();
            return Err(TooDeep { line });
        }
        i += 1;
    }
    Ok(())
}

/// Renders a loaded template into a buffer capped at `max_output` bytes.
pub fn render_capped(template: &minijinja::Template<'_, '_>, ctx: &Value, max_output: usize) -> Result<String, Error> {
    let mut out = CappedBuffer { bytes: Vec::new(), max: max_output, overflowed: false };
    let rendered = template.render_captured_to(ctx, &mut out);
    if out.overflowed {
        return Err(Error::new(ErrorKind::InvalidOperation, format!("output larger than {max_output} bytes")));
    }
    rendered?;
    String::from_utf8(out.bytes).map_err(|e| Error::new(ErrorKind::WriteFailure, e.to_string()))
}

struct CappedBuffer {
    bytes: Vec<u8>,
    max: usize,
    overflowed: bool,
}

impl std::io::Write for CappedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.max {
            self.overflowed = true;
            return Err(std::io::Error::other(format!("output larger than {} bytes", self.max)));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The largest width or precision `format` accepts: enough for any table, too small to be a bomb.
const MAX_FORMAT_WIDTH: usize = 1000;

/// `{{ "%-10s %5.1f" | format(name, value) }}`: printf-style `%s %d %i %f %x %%` with the
/// flags `-` and `0`, a width and a precision, counted in characters (so `%.1s` of `é` is `é`,
/// never half of it).
pub fn format_filter(state: &State, spec: &str, args: minijinja::value::Rest<Value>) -> Result<String, Error> {
    let invalid = |message: String| Error::new(ErrorKind::InvalidOperation, message);
    let mut out = String::with_capacity(spec.len());
    let mut args = args.iter();
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let (mut left, mut zero) = (false, false);
        while let Some(&flag) = chars.peek() {
            match flag {
                '-' => left = true,
                '0' => zero = true,
                '+' | ' ' | '#' => {}
                _ => break,
            }
            chars.next();
        }
        let number = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
            let mut n: Option<usize> = None;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize));
                chars.next();
            }
            n
        };
        let width = number(&mut chars).unwrap_or(0);
        let precision = if chars.peek() == Some(&'.') {
            chars.next();
            Some(number(&mut chars).unwrap_or(0))
        } else {
            None
        };
        if width > MAX_FORMAT_WIDTH || precision.is_some_and(|p| p > MAX_FORMAT_WIDTH) {
            return Err(invalid(format!("format: width and precision are at most {MAX_FORMAT_WIDTH}")));
        }
        let conversion = chars.next().ok_or_else(|| invalid("format: incomplete % at the end".into()))?;
        let value = args.next().ok_or_else(|| invalid(format!("format: no value for %{conversion}")))?;
        if value.is_undefined() && state.undefined_behavior() == minijinja::UndefinedBehavior::Strict {
            return Err(Error::from(ErrorKind::UndefinedError));
        }
        let number_of = |v: &Value| -> Result<f64, Error> {
            f64::try_from(v.clone()).map_err(|_| invalid(format!("format: %{conversion} needs a number, not {v}")))
        };
        let text = match conversion {
            's' | 'r' => {
                let text = value.to_string();
                match precision {
                    Some(p) => text.chars().take(p).collect(),
                    None => text,
                }
            }
            'd' | 'i' | 'u' => format!("{}", number_of(value)?.trunc() as i64),
            'f' | 'F' => format!("{:.*}", precision.unwrap_or(6), number_of(value)?),
            'x' => format!("{:x}", number_of(value)?.trunc() as i64),
            'X' => format!("{:X}", number_of(value)?.trunc() as i64),
            other => return Err(invalid(format!("format: %{other} is not supported (use %s, %d, %f, %x)"))),
        };
        let pad = width.saturating_sub(text.chars().count());
        let numeric = !matches!(conversion, 's' | 'r');
        if left {
            let _ = write!(out, "{text}{}", " ".repeat(pad));
        } else if zero && numeric {
            let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |d| ("-", d));
            let _ = write!(out, "{sign}{}{digits}", "0".repeat(pad));
        } else {
            let _ = write!(out, "{}{text}", " ".repeat(pad));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment<'static> {
        let mut env = Environment::new();
        apply(&mut env, RUNBOOK);
        env
    }

    fn render(source: &str) -> Result<String, String> {
        check_nesting(source).map_err(|e| e.to_string())?;
        let env = env();
        let template = env.template_from_str(source).map_err(|e| e.to_string())?;
        render_capped(&template, &Value::UNDEFINED, RUNBOOK.max_output).map_err(|e| e.to_string())
    }

    #[test]
    fn format_never_cuts_a_character_in_half() {
        assert_eq!(render(r#"{{ "%.1s|%-3s|%3s" | format("éa", "ü", "ß") }}"#), Ok("é|ü  |  ß".to_string()));
        assert_eq!(render(r#"{{ "%05.1f %d %x %%" | format(-2.25, 7.9, 255) }}"#), Ok("-02.2 7 ff %".to_string()));
        assert!(render(r#"{{ "%99999s" | format("x") }}"#).is_err());
        assert!(render(r#"{{ "%s %s" | format("x") }}"#).is_err());
    }

    #[test]
    fn twenty_thousand_unary_operators_are_refused_before_parsing() {
        for op in ["not ", "-", "- ", "+"] {
            let source = format!("{{{{ {}1 }}}}", op.repeat(20_000));
            let err = render(&source).err().unwrap_or_default();
            assert!(err.contains("nest deeper than"), "{op:?}: {err}");
        }
        let brackets = format!("{{{{ {}1{} }}}}", "(".repeat(5_000), ")".repeat(5_000));
        assert!(check_nesting(&brackets).is_err());
    }

    #[test]
    fn nesting_check_lets_real_templates_and_strings_through() {
        assert_eq!(check_nesting("{{ not (a - b) and not c }} {{ x | default('-' * 3) }}"), Ok(()));
        assert_eq!(check_nesting(&format!("{{{{ '{}' }}}}", "-".repeat(10_000))), Ok(()));
        assert_eq!(check_nesting(&"{{ a - b }}\n".repeat(10_000)), Ok(()));
        assert_eq!(check_nesting("{{ notes }} {{ cannot }}"), Ok(()));
    }

    #[test]
    fn nested_loops_run_out_of_fuel_instead_of_hanging() {
        let source = "{% for a in range(10000) %}{% for b in range(10000) %}{{ a }}{% endfor %}{% endfor %}";
        let started = std::time::Instant::now();
        let err = render(source).err().unwrap_or_default();
        assert!(err.to_lowercase().contains("fuel"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }

    #[test]
    fn an_output_bomb_stops_at_the_cap() {
        let mut env = Environment::new();
        apply(&mut env, Limits { fuel: u64::MAX / 2, max_output: 1 << 16 });
        let template = env.template_from_str("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}");
        let err = template
            .and_then(|t| render_capped(&t, &Value::UNDEFINED, 1 << 16))
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("output larger than 65536 bytes"), "{err}");
    }
}
