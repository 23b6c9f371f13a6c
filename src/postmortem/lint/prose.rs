//! What of a Markdown line is the author's own prose: code, comments, quotations, emphasis
//! markers and captured tool output are blanked with spaces so that columns stay true.

use std::sync::LazyLock;

use regex::Regex;

/// A log line or a tool's output pasted as text: a timestamp or a level up front.
static CAPTURED_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?:[-*+]\s+)?(?:\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}|\[?(?:ERROR|WARN|WARNING|FATAL|CRITICAL|INFO|DEBUG)\]?[: ])",
    )
    .expect("a valid pattern")
});

/// This tool's own record of a check or runbook step: what follows the colon is the output of
/// the command it ran ("Check systemd CRITICAL: Failed to connect to bus").
static CAPTURED_RESULT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:Check \S+ [A-Z]+|Runbook \S+ action \S+ \S+(?: FAILED)?|Ran [^:|]+):").expect("a valid pattern")
});

pub fn is_captured_output(line: &str) -> bool {
    CAPTURED_LINE.is_match(line)
}

/// The line with code spans, HTML comments, quotations, emphasis markers and captured output
/// replaced by spaces; curly apostrophes become straight ones. One char in, one char out.
pub fn visible(line: &str) -> String {
    let mut out: Vec<char> = line.chars().map(|c| if c == '\u{2019}' { '\'' } else { c }).collect();
    blank_code_spans(&mut out);
    blank_between(&mut out, &['<', '!', '-', '-'], &['-', '-', '>']);
    blank_quotations(&mut out);
    blank_emphasis(&mut out);
    let mut text: String = out.into_iter().collect();
    blank_captured_results(&mut text);
    text
}

fn blank_code_spans(out: &mut [char]) {
    let mut i = 0;
    while i < out.len() {
        if out[i] != '`' {
            i += 1;
            continue;
        }
        let run = out[i..].iter().take_while(|&&c| c == '`').count();
        let close = (i + run..out.len()).find(|&j| {
            out[j..].iter().take_while(|&&c| c == '`').count() == run && (j + run >= out.len() || out[j + run] != '`')
        });
        match close {
            Some(j) => {
                out[i..j + run].fill(' ');
                i = j + run;
            }
            None => i += run,
        }
    }
}

fn blank_between(out: &mut [char], open: &[char], close: &[char]) {
    let mut i = 0;
    while i + open.len() <= out.len() {
        if !out[i..].starts_with(open) {
            i += 1;
            continue;
        }
        let end = (i + open.len()..=out.len().saturating_sub(close.len()))
            .find(|&j| out[j..].starts_with(close))
            .map_or(out.len(), |j| j + close.len());
        out[i..end].fill(' ');
        i = end;
    }
}

/// Someone else's words: "straight" or “curly” double quotes, when they close on the line.
fn blank_quotations(out: &mut [char]) {
    blank_between_pairs(out, '\u{201c}', '\u{201d}');
    blank_between_pairs(out, '"', '"');
}

fn blank_between_pairs(out: &mut [char], open: char, close: char) {
    let mut i = 0;
    while i < out.len() {
        let closing = (out[i] == open).then(|| (i + 1..out.len()).find(|&j| out[j] == close)).flatten();
        match closing {
            Some(j) => {
                out[i..=j].fill(' ');
                i = j + 1;
            }
            None => i += 1,
        }
    }
}

/// `*` always, `_` only at a word's edge (so `team_member` stays a word): names inside
/// emphasis (`_team-member-1_`, `**Bo**`) are read as names.
fn blank_emphasis(out: &mut [char]) {
    let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric());
    for i in 0..out.len() {
        let edge = !word(i.checked_sub(1).and_then(|p| out.get(p))) || !word(out.get(i + 1));
        if out[i] == '*' || (out[i] == '_' && edge) {
            out[i] = ' ';
        }
    }
}

/// From the tool's "Check NAME STATUS:" to the end of the table cell (or line).
fn blank_captured_results(text: &mut String) {
    let mut ranges = Vec::new();
    for m in CAPTURED_RESULT.find_iter(text) {
        let end = text[m.end()..].find('|').map_or(text.len(), |i| m.end() + i);
        ranges.push((m.end(), end));
    }
    for (start, end) in ranges.into_iter().rev() {
        let spaces = " ".repeat(text[start..end].chars().count());
        text.replace_range(start..end, &spaces);
    }
}

/// Words of an ASCII-lowered line, as byte ranges: letters, digits, `'`, `-` and `_` inside.
pub fn words(lower: &str) -> Vec<(usize, usize)> {
    let bytes = lower.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'\'' || b == b'-' || b == b'_';
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_word(bytes[i]) || !bytes[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_word(bytes[i]) {
            i += 1;
        }
        let mut end = i;
        while end > start && !bytes[end - 1].is_ascii_alphanumeric() {
            end -= 1;
        }
        found.push((start, end));
    }
    found
}

/// Byte offset where the clause holding `at` begins. Commas and parentheses end a clause
/// unless `across_asides` (an aside between a subject and its verb).
pub fn clause_start(lower: &str, at: usize, across_asides: bool) -> usize {
    lower[..at]
        .rfind(|c: char| {
            matches!(c, '.' | ';' | ':' | '!' | '?' | '|') || (!across_asides && matches!(c, ',' | '(' | ')'))
        })
        .map_or(0, |i| i + 1)
}

/// Byte offset where the clause holding `at` ends.
pub fn clause_end(lower: &str, at: usize) -> usize {
    lower[at..].find(['.', ';', ':', '!', '?', '|']).map_or(lower.len(), |i| at + i)
}

/// Byte ranges of the sentences of a line.
pub fn sentences(lower: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut start = 0;
    let bytes = lower.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let ends = matches!(b, b'.' | b'!' | b'?' | b';' | b'|')
            && bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace() || *n == b'|');
        if ends {
            found.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < lower.len() {
        found.push((start, lower.len()));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_comments_quotes_and_emphasis_markers_are_blanked_in_place() {
        let line = "Ran `rm -rf` <!-- x --> \"he said\" _bo_ **al** team_member";
        let seen = visible(line);
        assert_eq!(seen.chars().count(), line.chars().count());
        assert!(!seen.contains("rm") && !seen.contains("said") && !seen.contains('*'));
        assert!(seen.contains(" bo ") && seen.contains("team_member"));
    }

    #[test]
    fn the_tools_own_captured_output_is_not_prose() {
        let row = "| 14:02 | Check systemd CRITICAL: Failed to connect to bus | x |";
        assert!(!visible(row).contains("Failed"));
        assert!(is_captured_output("2026-11-22 14:02:11 ERROR failed to connect"));
        assert!(is_captured_output("Jul  6 21:22:31 host app[1]: Failed to connect"));
        assert!(!is_captured_output("We failed to connect the dots."));
    }
}
