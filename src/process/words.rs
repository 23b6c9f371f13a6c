//! Command lines as words: quoting an argv for a POSIX shell (to show it, or to run it on
//! another host through ssh), and splitting a line a person typed into argv.

/// Quotes an argument so a POSIX shell reads it back as one word. Only an allow-list of
/// characters goes unquoted (`shell_words::quote` leaves `{`, `!` and `^` bare, which a
/// shell may expand), and `=` stays bare so `key=value` reads as typed.
pub fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':' | '=' | '@' | '%' | '+' | ',')
        });
    if plain { arg.to_string() } else { format!("'{}'", arg.replace('\'', r"'\''")) }
}

/// An argv as a shell command line.
pub fn shell_join(argv: &[String]) -> String {
    argv.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" ")
}

/// Splits a command line typed by a person into argv the way a POSIX shell splits words
/// (quotes, backslashes, and `#` starting a comment), without expanding anything: no
/// variables, globs or `$(...)`. Fails on an unclosed quote.
pub fn split_command_line(line: &str) -> Result<Vec<String>, String> {
    shell_words::split(line).map_err(|_| "a quote is not closed".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_split_like_a_shell_without_expanding() {
        let split = |s: &str| split_command_line(s).unwrap_or_default();
        assert_eq!(split("kubectl rollout undo deploy/x"), ["kubectl", "rollout", "undo", "deploy/x"]);
        assert_eq!(split(r#"sh -c 'echo $HOME; ls' "a \"b\"" c\ d"#), ["sh", "-c", "echo $HOME; ls", "a \"b\"", "c d"]);
        assert_eq!(split("echo $(rm -rf /)"), ["echo", "$(rm", "-rf", "/)"]);
        assert_eq!(split("''"), [""]);
        assert_eq!(split("curl http://h/#top # the rest is a comment"), ["curl", "http://h/#top"]);
        assert!(split_command_line("echo 'open").is_err());
        assert!(split_command_line("echo \"open").is_err());
    }

    #[test]
    fn quoting_round_trips_through_a_shell_word() {
        assert_eq!(shell_quote("kubectl"), "kubectl");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(shell_quote("{a,b}"), "'{a,b}'");
        let argv = vec!["sh".to_string(), "-c".into(), "echo 'x' \"$y\" {a,b} #z".into(), String::new()];
        assert_eq!(split_command_line(&shell_join(&argv)), Ok(argv));
    }
}
