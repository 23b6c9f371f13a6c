//! The pattern: a regex (ripgrep's engine, the `regex` crate) or, for a case-sensitive literal,
//! a `memchr` substring finder, which needs no regex machinery at all.

use memchr::memmem;
use regex::bytes::{Regex, RegexBuilder};

/// What to look for, as typed.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub text: String,
    /// `-F`: the text is a literal string, not a regex.
    pub fixed: bool,
    /// `-i`
    pub ignore_case: bool,
}

/// A pattern that is not a regex (or too large to compile).
#[derive(Debug, Clone)]
pub struct PatternError(regex::Error);

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for PatternError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// A compiled pattern that finds matches in a buffer of many lines.
#[derive(Debug, Clone)]
pub struct Matcher {
    regex: Regex,
    literal: Option<memmem::Finder<'static>>,
    /// The pattern is plain text without a newline (with or without `-i` and `-w`): no match
    /// can span lines, so a match found in a buffer needs no second look at its line.
    single_line: bool,
}

impl Matcher {
    /// Compiles the pattern; fails when it is not a regex (the error is the parser's message).
    pub fn new(pattern: &Pattern) -> Result<Matcher, PatternError> {
        Matcher::build(pattern, false)
    }

    /// As [`Matcher::new`], matching only whole words (`-w`): the match neither starts nor ends
    /// inside a word.
    pub fn whole_words(pattern: &Pattern) -> Result<Matcher, PatternError> {
        Matcher::build(pattern, true)
    }

    fn build(pattern: &Pattern, whole_words: bool) -> Result<Matcher, PatternError> {
        let source = if pattern.fixed { regex::escape(&pattern.text) } else { pattern.text.clone() };
        let source = if whole_words { format!(r"\b(?:{source})\b") } else { source };
        let regex = RegexBuilder::new(&source)
            .case_insensitive(pattern.ignore_case)
            // `^` and `$` anchor at line ends, since a whole buffer of lines is searched at once.
            .multi_line(true)
            .crlf(true)
            .size_limit(64 << 20)
            .dfa_size_limit(64 << 20)
            .build()
            .map_err(PatternError)?;
        let is_literal = pattern.fixed || !pattern.text.bytes().any(|b| br"\.+*?()|[]{}^$#&-~ ".contains(&b));
        let single_line = is_literal && !pattern.text.is_empty() && !pattern.text.contains('\n');
        let literal = (single_line && !whole_words && !pattern.ignore_case)
            .then(|| memmem::Finder::new(pattern.text.as_bytes()).into_owned());
        Ok(Matcher { regex, literal, single_line })
    }

    /// The first match at or after `at`, as a byte range. It may span lines (a pattern such as
    /// `a\sb`); callers confirm such a match within one line with [`Matcher::is_match`].
    pub fn find_at(&self, haystack: &[u8], at: usize) -> Option<(usize, usize)> {
        match &self.literal {
            Some(finder) => {
                let start = at + finder.find(haystack.get(at..)?)?;
                Some((start, start + finder.needle().len()))
            }
            None => self.regex.find_at(haystack, at).map(|m| (m.start(), m.end())),
        }
    }

    /// Where some match ends, at or after `at`, found as cheaply as possible (no search for
    /// where it starts); None when there is none. As with [`Matcher::find_at`], the match may
    /// span lines, so callers confirm the line with [`Matcher::is_match`] unless
    /// [`Matcher::within_lines`].
    pub fn end_at(&self, haystack: &[u8], at: usize) -> Option<usize> {
        match &self.literal {
            Some(finder) => Some(at + finder.find(haystack.get(at..)?)? + finder.needle().len()),
            None => self.regex.shortest_match_at(haystack, at),
        }
    }

    /// Whether every match lies within one line (plain text without a newline, whatever the
    /// case or word flags), so that a match found in a buffer needs no confirming on its line.
    pub fn within_lines(&self) -> bool {
        self.single_line
    }

    /// Whether one line (without its newline) matches.
    pub fn is_match(&self, line: &[u8]) -> bool {
        match &self.literal {
            Some(finder) => finder.find(line).is_some(),
            None => self.regex.is_match(line),
        }
    }

    /// Whether any line of a record matches.
    pub fn matches_record(&self, record: &[u8]) -> bool {
        record.split(|b| *b == b'\n').any(|line| self.is_match(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(text: &str, fixed: bool, ignore_case: bool) -> Option<Matcher> {
        Matcher::new(&Pattern { text: text.into(), fixed, ignore_case }).ok()
    }

    #[test]
    fn fixed_case_insensitive_and_anchored_patterns_behave_like_grep() {
        let hay = b"one ERROR\ntwo error\na.b\n";
        assert_eq!(matcher("ERROR", false, false).and_then(|m| m.find_at(hay, 0)), Some((4, 9)));
        assert_eq!(matcher("error", false, true).and_then(|m| m.find_at(hay, 0)), Some((4, 9)));
        assert_eq!(matcher("a.b", true, false).and_then(|m| m.find_at(hay, 0)), Some((20, 23)));
        assert_eq!(matcher("^two", false, false).and_then(|m| m.find_at(hay, 0)), Some((10, 13)));
        assert!(matcher("(", false, false).is_none());
        assert!(matcher("(", true, false).is_some());
    }

    // `-i error` was 1.11x ripgrep when every match was searched for a second time on its line.
    #[test]
    fn plain_text_matches_skip_the_second_look_whatever_the_case_and_word_flags() {
        let within =
            |text: &str, ignore_case: bool| matcher(text, false, ignore_case).is_some_and(|m| m.within_lines());
        assert!(within("error", true));
        assert!(within("ERROR", false));
        assert!(!within("a.b", false) && !within(r"a\sb", true));
        let words = Matcher::whole_words(&Pattern { text: "error".into(), fixed: false, ignore_case: true });
        assert!(words.is_ok_and(|m| m.within_lines()));
    }
}
