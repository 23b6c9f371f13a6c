//! `shell:` commands, rendered so that no value becomes shell syntax.
//!
//! Each `{{ ... }}` of the script is rendered as usual (filters and conditions see the real
//! values), but what it prints is not spliced into the script: it becomes a positional
//! parameter of `sh -c SCRIPT sh VALUE...`, and the script refers to it as `"${N}"`. The
//! reference is written to suit the quotes the author put around the placeholder: `"${N}"`
//! outside quotes, `${N}` inside double quotes, `'"${N}"'` inside single quotes (closing and
//! reopening them). Whatever the value holds (`$(...)`, backticks, quotes, `;`, a newline), the
//! shell only ever expands it as one word of data.

use std::sync::{Arc, Mutex};

use minijinja::{Error, ErrorKind, Value};

use super::template;

/// Opens and closes a placeholder in the rendered script: characters from Unicode's private use
/// area, refused in a script's own text so that no author can forge one.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// The argv of a `shell:` script: `sh -c SCRIPT sh VALUE...`.
pub fn render_shell(source: &str, ctx: &Value) -> Result<Vec<String>, template::RenderError> {
    if source.contains([OPEN, CLOSE]) {
        return Err(template::RenderError {
            kind: ErrorKind::InvalidOperation,
            message: "the script contains Unicode private-use characters U+E000/U+E001".to_string(),
            reads: Default::default(),
        });
    }
    let params: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut env = template::environment();
    let sink = Arc::clone(&params);
    env.set_formatter(move |out, _state, value| {
        if value.is_undefined() {
            return Err(Error::from(ErrorKind::UndefinedError));
        }
        // A list (a `type: list` variable) gives one parameter per item, referred to as
        // `"${1}" "${2}"`: separate words outside quotes, like "$@".
        let texts: Vec<String> = match value.kind() {
            minijinja::value::ValueKind::None => vec![String::new()],
            minijinja::value::ValueKind::Seq => value.try_iter()?.map(|item| item.to_string()).collect(),
            _ => vec![value.to_string()],
        };
        let mut params = sink.lock().map_err(|_| Error::new(ErrorKind::InvalidOperation, "poisoned"))?;
        let mut references = Vec::new();
        for text in texts {
            params.push(text);
            references.push(format!("{OPEN}{}{CLOSE}", params.len()));
        }
        write!(out, "{}", references.join(" ")).map_err(|e| Error::new(ErrorKind::WriteFailure, e.to_string()))
    });
    let rendered = template::render(&env, source, ctx)?;
    let values = params.lock().map(|p| p.clone()).unwrap_or_default();
    let mut argv = vec!["sh".to_string(), "-c".to_string(), refer_to_parameters(&rendered), "sh".to_string()];
    argv.extend(values);
    Ok(argv)
}

/// Where the shell's lexer is at a point of the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    /// Outside quotes (also inside `$(...)`, whose text is lexed afresh; `depth` counts its
    /// parentheses), or inside backticks.
    Bare {
        depth: usize,
    },
    Backtick,
    Single,
    /// `$'...'`.
    AnsiC,
    Double,
}

/// Replaces each placeholder with the reference to its parameter that suits the quoting at
/// that point.
fn refer_to_parameters(script: &str) -> String {
    let mut out = String::with_capacity(script.len());
    let mut stack = vec![Quoting::Bare { depth: 0 }];
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        let top = *stack.last().unwrap_or(&Quoting::Bare { depth: 0 });
        if c == OPEN {
            let mut number = String::new();
            for d in chars.by_ref() {
                if d == CLOSE {
                    break;
                }
                number.push(d);
            }
            out.push_str(&match top {
                Quoting::Bare { .. } | Quoting::Backtick => format!("\"${{{number}}}\""),
                Quoting::Double => format!("${{{number}}}"),
                Quoting::Single => format!("'\"${{{number}}}\"'"),
                Quoting::AnsiC => format!("'\"${{{number}}}\"$'"),
            });
            continue;
        }
        out.push(c);
        match (top, c) {
            (Quoting::Single, '\'') | (Quoting::Double, '"') | (Quoting::Backtick, '`') => {
                stack.pop();
            }
            (Quoting::Single, _) => {}
            (Quoting::AnsiC, '\\') | (Quoting::Double, '\\') | (Quoting::Bare { .. } | Quoting::Backtick, '\\') => {
                if let Some(next) = chars.next_if(|n| *n != OPEN) {
                    out.push(next);
                }
            }
            (Quoting::AnsiC, '\'') => {
                stack.pop();
            }
            (Quoting::AnsiC, _) => {}
            (Quoting::Double | Quoting::Bare { .. } | Quoting::Backtick, '$') if chars.peek() == Some(&'(') => {
                out.push('(');
                chars.next();
                stack.push(Quoting::Bare { depth: 1 });
            }
            (Quoting::Bare { .. } | Quoting::Backtick, '$') if chars.peek() == Some(&'\'') => {
                out.push('\'');
                chars.next();
                stack.push(Quoting::AnsiC);
            }
            (Quoting::Double | Quoting::Bare { .. }, '`') => stack.push(Quoting::Backtick),
            (Quoting::Bare { .. } | Quoting::Backtick, '\'') => stack.push(Quoting::Single),
            (Quoting::Bare { .. } | Quoting::Backtick, '"') => stack.push(Quoting::Double),
            (Quoting::Bare { depth }, '(') if depth > 0 => {
                stack.pop();
                stack.push(Quoting::Bare { depth: depth + 1 });
            }
            (Quoting::Bare { depth }, ')') if depth > 0 => {
                stack.pop();
                if depth > 1 {
                    stack.push(Quoting::Bare { depth: depth - 1 });
                }
                if stack.is_empty() {
                    stack.push(Quoting::Bare { depth: 0 });
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(script: &str, value: &str) -> Vec<String> {
        let ctx = minijinja::context! { vars => minijinja::context! { x => value } };
        render_shell(script, &ctx).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn values_become_parameters_whatever_quotes_surround_them() {
        let cases = [
            ("echo {{ vars.x }}", r#"echo "${1}""#),
            ("echo '{{ vars.x }}'", r#"echo ''"${1}"''"#),
            (r#"echo "{{ vars.x }}""#, r#"echo "${1}""#),
            (r#"echo "$(echo {{ vars.x }})""#, r#"echo "$(echo "${1}")""#),
            ("echo `echo '{{ vars.x }}'`", r#"echo `echo ''"${1}"''`"#),
            ("echo $'a{{ vars.x }}'", r#"echo $'a'"${1}"$''"#),
            (r#"echo \'{{ vars.x }}"#, r#"echo \'"${1}""#),
        ];
        for (script, expected) in cases {
            let argv = argv(script, "v; rm -rf /");
            assert_eq!(argv[2], expected, "{script}");
            assert_eq!(&argv[3..], ["sh", "v; rm -rf /"], "{script}");
        }
    }

    #[test]
    fn filters_and_conditions_see_the_real_value() {
        let argv = argv("{% if vars.x == 'a' %}echo {{ vars.x | upper }}{% endif %}", "a");
        assert_eq!(argv, ["sh", "-c", r#"echo "${1}""#, "sh", "A"]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, failure_persistence: None, ..Default::default() })]

        /// The script is the same whatever the value: the value only ever travels as a parameter.
        #[test]
        fn no_value_changes_the_script(value in "[^\\x00]*") {
            let script = "echo {{ vars.x }} '{{ vars.x }}' \"{{ vars.x }}\" `echo {{ vars.x }}` $(echo {{ vars.x }})";
            let argv = argv(script, &value);
            let reference = self::argv(script, "v");
            proptest::prop_assert_eq!(&argv[..4], &reference[..4]);
            proptest::prop_assert!(argv[4..].iter().all(|v| *v == value));
        }
    }

    #[test]
    fn a_script_cannot_forge_a_placeholder() {
        let ctx = minijinja::context! {};
        assert!(render_shell("echo \u{E000}1\u{E001}", &ctx).is_err());
    }
}
