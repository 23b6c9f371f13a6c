//! Action items: vague, or with nobody to own them. Items are bullet and numbered list entries
//! and table rows under any heading or label that opens a list of actions ("Action items",
//! "Corrective actions", "Remediation", "Next steps", "**Follow-ups:**").

use std::sync::LazyLock;

use regex::Regex;

use super::lexicon::{ACTION_SECTIONS, VAGUE_ALWAYS, VAGUE_ANYWHERE, VAGUE_UNOWNED};
use super::{Finding, Rule, whole_word_positions};

static OWNER_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:@[\w.-]+|\bowner\b|\bowned by\b|\bassigned to\b|\bassignee\b|\bdri\b)")
        .expect("a valid pattern")
});
static DONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:\bDONE\b|\[[xX]\]|\u{2705}|\((?i:done|completed)\))").expect("a valid pattern"));
static ITEM_MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?").expect("a valid pattern"));

/// Whether a heading or label opens a list of actions.
pub fn opens_actions(title: &str) -> bool {
    let title = title.to_ascii_lowercase();
    // "Actions taken" reports what was done; it asks nobody to do anything.
    let done = ["taken", "performed", "we did", "completed"].iter().any(|k| title.contains(k));
    !done && ACTION_SECTIONS.iter().any(|k| title.contains(k))
}

/// Where the item's own text starts in a list line, if the line is a list item.
pub fn item_start(line: &str) -> Option<usize> {
    ITEM_MARKER.find(line).map(|m| m.end())
}

/// The columns of an action table, read from its header row.
#[derive(Debug, Clone, Copy, Default)]
pub struct Columns {
    item: usize,
    owner: Option<usize>,
    due: Option<usize>,
}

pub enum Row {
    Header(Columns),
    Separator,
    Item,
}

pub fn classify_row(cells: &[&str], columns: Option<Columns>) -> Row {
    if cells.iter().all(|c| c.chars().all(|ch| matches!(ch, '-' | ':' | ' '))) {
        return Row::Separator;
    }
    match columns {
        Some(_) => Row::Item,
        None => {
            let lower: Vec<String> = cells.iter().map(|c| c.to_ascii_lowercase()).collect();
            let find = |names: &[&str]| lower.iter().position(|c| names.iter().any(|n| c.trim() == *n));
            Row::Header(Columns {
                item: find(&["action item", "action", "item", "task", "description", "what"]).unwrap_or(0),
                owner: find(&["owner", "owners", "assignee", "who", "dri"]),
                due: find(&["due", "due date", "deadline", "by when", "target date", "eta"]),
            })
        }
    }
}

pub fn cells(line: &str) -> Vec<&str> {
    line.trim().trim_start_matches('|').trim_end_matches('|').split('|').map(str::trim).collect()
}

/// Findings for one action item: `text` is the visible line, `start` the byte offset where the
/// item's own words begin; `table` the row's cells when it is a table row.
pub fn check_item(
    text: &str,
    start: usize,
    table: Option<(&[&str], Columns)>,
    names: &[String],
    number: usize,
    out: &mut Vec<Finding>,
) {
    if DONE.is_match(text) {
        return;
    }
    let lower = text.to_ascii_lowercase();
    let named = names.iter().any(|n| !whole_word_positions(&lower, &n.trim().to_ascii_lowercase()).is_empty());
    let blank =
        |c: &str| matches!(c.to_ascii_lowercase().as_str(), "" | "-" | "\u{2014}" | "tbd" | "?" | "n/a" | "none");
    let (owned, item_start, missing_due) = match table {
        Some((cells, columns)) => {
            let owner_cell = columns.owner.and_then(|i| cells.get(i)).copied();
            let owned = owner_cell.map_or(OWNER_IN_TEXT.is_match(text) || named, |c| !blank(c));
            let missing_due = columns.due.is_some_and(|i| blank(cells.get(i).copied().unwrap_or("")));
            let item = cells.get(columns.item).copied().unwrap_or("");
            (owned, text.find(item).filter(|_| !item.is_empty()).unwrap_or(start), missing_due)
        }
        None => (OWNER_IN_TEXT.is_match(text) || named, start, false),
    };
    let item_lower = &lower[item_start..];
    let opener = item_lower.trim_start();
    let opener_at = item_start + item_lower.len() - opener.len();
    let push = |out: &mut Vec<Finding>, at: usize, len: usize, suggestion: &str| {
        out.push(Finding {
            line: number,
            column: text[..at].chars().count() + 1,
            rule: Rule::VagueAction,
            phrase: text[at..at + len].to_string(),
            suggestion: suggestion.to_string(),
        });
    };
    let openers = VAGUE_ALWAYS.iter().chain(VAGUE_UNOWNED.iter().filter(|_| !owned));
    if let Some((phrase, suggestion)) = openers.into_iter().find(|(p, _)| super::starts_with_word(opener, p)) {
        push(out, opener_at, phrase.len(), suggestion);
    }
    if !owned {
        out.push(Finding {
            line: number,
            column: text[..opener_at].chars().count() + 1,
            rule: Rule::VagueAction,
            phrase: "no owner".into(),
            suggestion: "name who owns this item (an owner column, `@name` or `owner: NAME`)".into(),
        });
    }
    for (phrase, suggestion) in VAGUE_ANYWHERE {
        for at in whole_word_positions(&lower, phrase) {
            push(out, at, phrase.len(), suggestion);
        }
    }
    if missing_due {
        out.push(Finding {
            line: number,
            column: 1,
            rule: Rule::VagueAction,
            phrase: "no due date".into(),
            suggestion: "give every action item a due date".into(),
        });
    }
}
