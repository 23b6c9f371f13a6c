//! Identifiers users type: incident ids and per-incident item ids (`H1`, `F1`).

use std::fmt;
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, Utc};

/// A validated incident id: it names a folder in the store and can never escape it.
///
/// Allowed: ASCII lowercase letters, digits, `-`, `_` and `.`, starting with a letter or digit,
/// at most 100 bytes, and never `..`. So no separators, no absolute paths, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IncidentId(String);

impl IncidentId {
    pub const MAX_LEN: usize = 100;

    pub fn parse(text: &str) -> Result<Self, IdError> {
        let bad = |problem| Err(IdError::Incident { text: text.to_string(), problem });
        if text.is_empty() {
            return bad(IncidentIdProblem::Empty);
        }
        if text.len() > Self::MAX_LEN {
            return bad(IncidentIdProblem::TooLong);
        }
        if text.contains("..") {
            return bad(IncidentIdProblem::DotDot);
        }
        let first_ok = text.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest_ok =
            text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
        if !first_ok || !rest_ok {
            return bad(IncidentIdProblem::Characters);
        }
        Ok(IncidentId(text.to_string()))
    }

    /// `2026-11-22-checkout-502s`, with `-2`, `-3`, ... for `attempt` > 1.
    pub fn for_title(opened: DateTime<Utc>, title: &str, attempt: u32) -> Self {
        let mut id = format!("{}-{}", opened.format("%Y-%m-%d"), slugify(title, 48));
        if id.ends_with('-') {
            id.push_str("incident");
        }
        if attempt > 1 {
            id.push_str(&format!("-{attempt}"));
        }
        IncidentId(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lowercase ASCII words joined by `-`, at most `max` bytes, cut at a word boundary.
pub fn slugify(text: &str, max: usize) -> String {
    let mut slug = String::new();
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        let word = word.to_ascii_lowercase();
        let needed = if slug.is_empty() { word.len() } else { word.len() + 1 };
        if slug.len() + needed > max {
            if slug.is_empty() {
                slug.push_str(&word[..max]);
            }
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word);
    }
    slug
}

/// Numbered items within one incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Hypothesis,
    FollowUp,
}

impl ItemKind {
    pub fn prefix(self) -> char {
        match self {
            ItemKind::Hypothesis => 'H',
            ItemKind::FollowUp => 'F',
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            ItemKind::Hypothesis => "hypothesis",
            ItemKind::FollowUp => "follow-up",
        }
    }
}

/// `H1`, `F12`: a per-incident item id. Parsing accepts `h1` and a bare `1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemId {
    pub kind: ItemKind,
    pub number: u32,
}

impl ItemId {
    pub fn parse(kind: ItemKind, text: &str) -> Result<Self, IdError> {
        let trimmed = text.trim();
        let digits = trimmed
            .strip_prefix(kind.prefix())
            .or_else(|| trimmed.strip_prefix(kind.prefix().to_ascii_lowercase()))
            .unwrap_or(trimmed);
        match digits.parse::<u32>() {
            Ok(number) if number > 0 && digits.chars().all(|c| c.is_ascii_digit()) => Ok(ItemId { kind, number }),
            _ => Err(IdError::Item { text: text.to_string(), kind }),
        }
    }
}

/// Why text is not an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    Incident { text: String, problem: IncidentIdProblem },
    Item { text: String, kind: ItemKind },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentIdProblem {
    Empty,
    TooLong,
    DotDot,
    Characters,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdError::Incident { text, problem } => {
                let shown = text.escape_debug();
                match problem {
                    IncidentIdProblem::Empty => write!(f, "an incident id cannot be empty"),
                    IncidentIdProblem::TooLong => {
                        write!(f, "incident id \"{shown}\" is longer than {} bytes", IncidentId::MAX_LEN)
                    }
                    IncidentIdProblem::DotDot => write!(f, "incident id \"{shown}\" contains \"..\""),
                    IncidentIdProblem::Characters => write!(
                        f,
                        "\"{shown}\" is not an incident id: ids use lowercase letters, digits, '-', '_' and '.', and start with a letter or digit"
                    ),
                }
            }
            IdError::Item { text, kind } => write!(
                f,
                "\"{}\" is not a {} id (expected {}1, {}2, ...)",
                text.escape_debug(),
                kind.noun(),
                kind.prefix(),
                kind.prefix()
            ),
        }
    }
}

impl std::error::Error for IdError {}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.kind.prefix(), self.number)
    }
}

/// Event ids: ULIDs, monotonic within this process so that one command's events sort in order.
/// The one generator of event ids (the store's outbox and notify use it too).
pub fn new_event_id() -> String {
    static GENERATOR: OnceLock<Mutex<ulid::Generator>> = OnceLock::new();
    let generator = GENERATOR.get_or_init(|| Mutex::new(ulid::Generator::new()));
    let mut generator = generator.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    generator.generate().unwrap_or_else(|_| ulid::Ulid::generate()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_ids_that_could_escape_the_store_are_refused() {
        for bad in ["../x", "..", "/etc", "a/b", "a\\b", "a\nb", "a\u{0}b", ".hidden", "-flag", "", "Caps", "é"] {
            assert!(IncidentId::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(IncidentId::parse(&"a".repeat(101)).is_err());
        assert!(IncidentId::parse("2026-11-22-checkout-502s").is_ok());
    }

    #[test]
    fn ids_from_titles_are_dated_slugs() {
        let opened =
            DateTime::parse_from_rfc3339("2026-11-22T14:05:00Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default();
        assert_eq!(
            IncidentId::for_title(opened, "Checkout returns 502s!", 1).as_str(),
            "2026-11-22-checkout-returns-502s"
        );
        assert_eq!(IncidentId::for_title(opened, "../../etc/passwd", 2).as_str(), "2026-11-22-etc-passwd-2");
        assert_eq!(IncidentId::for_title(opened, "数据库", 1).as_str(), "2026-11-22-incident");
        assert!(IncidentId::parse(IncidentId::for_title(opened, &"x".repeat(300), 1).as_str()).is_ok());
    }

    #[test]
    fn item_ids_accept_prefix_or_number() {
        assert_eq!(ItemId::parse(ItemKind::Hypothesis, "h3").map(|i| i.to_string()), Ok("H3".into()));
        assert_eq!(ItemId::parse(ItemKind::FollowUp, "2").map(|i| i.to_string()), Ok("F2".into()));
        assert!(ItemId::parse(ItemKind::Hypothesis, "F1").is_err());
        assert!(ItemId::parse(ItemKind::Hypothesis, "H0").is_err());
        assert!(ItemId::parse(ItemKind::Hypothesis, "H+1").is_err());
    }
}
