//! The blameless-language lint: counterfactuals, blame and judgement, a person as the cause,
//! vague action items. Whole words only, outside code and quoted lines; a line can silence a
//! rule with a reason: `<!-- lint-allow: counterfactual: quoting the customer -->`.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    Counterfactual,
    Blame,
    PersonAsCause,
    VagueAction,
    /// A `lint-allow` without a reason, or naming no known rule.
    Suppression,
}

impl Rule {
    pub const ALL: &[Rule] =
        &[Rule::Counterfactual, Rule::Blame, Rule::PersonAsCause, Rule::VagueAction, Rule::Suppression];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Counterfactual => "counterfactual",
            Rule::Blame => "blame",
            Rule::PersonAsCause => "person-as-cause",
            Rule::VagueAction => "vague-action",
            Rule::Suppression => "suppression",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub rule: Rule,
    pub phrase: String,
    pub suggestion: String,
}

const COUNTERFACTUALS: &[(&str, &str)] = &[
    ("should have", "say what was expected and what happened instead"),
    ("should've", "say what was expected and what happened instead"),
    ("could have", "say what was possible at the time, and what made it hard to see"),
    ("could've", "say what was possible at the time, and what made it hard to see"),
    ("would have", "describe what happened, not an imagined alternative"),
    ("would've", "describe what happened, not an imagined alternative"),
    ("failed to", "say \"did not\", and what made it hard"),
    ("if only", "describe the conditions that were in place"),
    ("lost situational awareness", "describe what information was missing or misleading, and why"),
];

const JUDGEMENTS: &[(&str, &str)] = &[
    ("human error", "describe the conditions that made the action possible and likely"),
    ("operator error", "describe the conditions that made the action possible and likely"),
    ("careless", "describe the situation, not the person"),
    ("carelessly", "describe the situation, not the person"),
    ("negligent", "describe the situation, not the person"),
    ("negligence", "describe the situation, not the person"),
    ("incompetent", "describe the situation, not the person"),
    ("incompetence", "describe the situation, not the person"),
    ("sloppy", "describe the situation, not the person"),
    ("stupid", "describe the situation, not the person"),
    ("obviously", "drop it: it was not obvious at the time"),
];

const VAGUE: &[(&str, &str)] = &[
    ("improve", "say what will change, how we will know, who owns it and by when"),
    ("be more careful", "name a change to the system or process, not to people's care"),
    ("more careful", "name a change to the system or process, not to people's care"),
    ("make better", "say what will change, how we will know, who owns it and by when"),
    ("look into", "say what decision the investigation will settle, and by when"),
];

/// Verbs that make a person the subject of a cause.
const CAUSE_VERBS: &[&str] =
    &["caused", "broke", "forgot", "missed", "failed", "deleted", "dropped", "ignored", "messed", "botched", "screwed"];

const PERSON_SUGGESTION: &str = "name the system, process or condition, not the person";

/// Lints Markdown. `names` are the people involved (responders, role holders): a name as the
/// subject of a cause, or anywhere in a "Contributing factors" section, is flagged.
pub fn lint_markdown(text: &str, names: &[String]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut fence: Option<String> = None;
    let mut section = String::new();
    let mut previous_blank = true;
    let mut action_table: Option<(Option<usize>, Option<usize>)> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = raw.trim_start();
        // Fenced code blocks are skipped whole.
        if let Some(open) = &fence {
            if trimmed.starts_with(open.as_str()) {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(trimmed[..3].to_string());
            continue;
        }
        let indented_code = previous_blank && (raw.starts_with("    ") || raw.starts_with('\t'));
        previous_blank = trimmed.is_empty();
        if trimmed.starts_with('>') || indented_code {
            continue; // quoted text (log lines, a customer's words) and indented code
        }
        if let Some(heading) = trimmed.strip_prefix('#') {
            section = heading.trim_start_matches('#').trim().to_ascii_lowercase();
            action_table = None;
        }
        let (allowed, mut line_findings) = suppressions(raw, number);
        let visible = blank_out_code_and_comments(raw);
        // ASCII lowering keeps byte offsets identical to `visible`'s, so a match found in one
        // can be cut from the other (Unicode lowering can change lengths).
        let lower = visible.to_ascii_lowercase();

        for (phrase, suggestion) in COUNTERFACTUALS {
            push_matches(&mut line_findings, &visible, &lower, phrase, number, Rule::Counterfactual, suggestion);
        }
        for (phrase, suggestion) in JUDGEMENTS {
            push_matches(&mut line_findings, &visible, &lower, phrase, number, Rule::Blame, suggestion);
        }
        let in_factors = section.contains("contributing factor") || section.contains("root cause");
        for name in names.iter().filter(|n| n.trim().chars().count() >= 2) {
            let name_lower = name.trim().to_ascii_lowercase();
            for at in whole_word_positions(&lower, &name_lower) {
                let after = lower[at + name_lower.len()..].trim_start();
                let as_cause = CAUSE_VERBS.iter().any(|verb| starts_with_word(after, verb));
                if as_cause || in_factors {
                    let phrase_end = if as_cause {
                        let verb_len = after.find(|c: char| !c.is_alphanumeric()).unwrap_or(after.len());
                        lower.len() - after.len() + verb_len
                    } else {
                        at + name_lower.len()
                    };
                    line_findings.push(finding(
                        &visible,
                        at,
                        phrase_end,
                        number,
                        Rule::PersonAsCause,
                        PERSON_SUGGESTION,
                    ));
                }
            }
        }
        let in_actions =
            section.contains("action item") || section.contains("follow-up") || section.contains("followup");
        if in_actions {
            let is_item =
                trimmed.starts_with(['-', '*', '|']) || trimmed.chars().next().is_some_and(|c| c.is_ascii_digit());
            if is_item {
                for (phrase, suggestion) in VAGUE {
                    push_matches(&mut line_findings, &visible, &lower, phrase, number, Rule::VagueAction, suggestion);
                }
            }
            if trimmed.starts_with('|') {
                check_action_row(&visible, number, &mut action_table, &mut line_findings);
            }
        }
        line_findings.retain(|f| f.rule == Rule::Suppression || !allowed.contains(&f.rule));
        // The longest phrase first at each column, then drop any finding inside an earlier
        // one of the same rule ("more careful" within "be more careful").
        line_findings.sort_by_key(|f| (f.column, std::cmp::Reverse(f.phrase.chars().count())));
        let mut kept: Vec<Finding> = Vec::new();
        for f in line_findings {
            let end = f.column + f.phrase.chars().count();
            let inside = kept
                .iter()
                .any(|k| k.rule == f.rule && k.column <= f.column && end <= k.column + k.phrase.chars().count());
            if !inside {
                kept.push(f);
            }
        }
        let line_findings = kept;
        findings.extend(line_findings);
    }
    findings
}

/// In an action-items table, an item without an owner or a due date is vague.
fn check_action_row(
    line: &str,
    number: usize,
    table: &mut Option<(Option<usize>, Option<usize>)>,
    out: &mut Vec<Finding>,
) {
    let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
    let lower: Vec<String> = cells.iter().map(|c| c.to_lowercase()).collect();
    match table {
        None => {
            let owner = lower.iter().position(|c| c == "owner");
            let due = lower.iter().position(|c| c == "due" || c == "due date");
            *table = Some((owner, due));
        }
        Some(_) if cells.iter().all(|c| c.chars().all(|ch| matches!(ch, '-' | ':' | ' '))) => {}
        Some((owner, due)) => {
            for (column, what) in [(*owner, "an owner"), (*due, "a due date")] {
                let Some(column) = column else { continue };
                let cell = cells.get(column).copied().unwrap_or("");
                if cell.is_empty() || matches!(cell.to_lowercase().as_str(), "-" | "—" | "tbd" | "?" | "n/a") {
                    out.push(Finding {
                        line: number,
                        column: 1,
                        rule: Rule::VagueAction,
                        phrase: format!("no {}", what.split_once(' ').map_or(what, |(_, w)| w)),
                        suggestion: format!("give every action item {what}"),
                    });
                }
            }
        }
    }
}

/// Rules silenced on this line, and findings about malformed silencers.
fn suppressions(line: &str, number: usize) -> (Vec<Rule>, Vec<Finding>) {
    let mut allowed = Vec::new();
    let mut findings = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("<!--") {
        let Some(end) = rest[start..].find("-->") else { break };
        let comment = rest[start + 4..start + end].trim();
        rest = &rest[start + end + 3..];
        let Some(body) = comment.strip_prefix("lint-allow:") else { continue };
        let (rule, reason) = body.split_once(':').map_or((body.trim(), ""), |(r, why)| (r.trim(), why.trim()));
        let column = line.len() - rest.len() - end - 3 + 1;
        match Rule::ALL.iter().find(|r| r.as_str() == rule) {
            Some(r) if !reason.is_empty() => allowed.push(*r),
            Some(_) => findings.push(Finding {
                line: number,
                column,
                rule: Rule::Suppression,
                phrase: format!("lint-allow: {rule}"),
                suggestion: "say why: <!-- lint-allow: RULE: REASON -->".into(),
            }),
            None => findings.push(Finding {
                line: number,
                column,
                rule: Rule::Suppression,
                phrase: format!("lint-allow: {rule}"),
                suggestion: format!(
                    "name one of: {}",
                    Rule::ALL
                        .iter()
                        .filter(|r| **r != Rule::Suppression)
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }
    (allowed, findings)
}

/// The line with code spans and HTML comments replaced by spaces, so columns stay true.
fn blank_out_code_and_comments(line: &str) -> String {
    let mut out: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < out.len() {
        if out[i] == '`' {
            let run = out[i..].iter().take_while(|&&c| c == '`').count();
            let close = (i + run..out.len()).find(|&j| {
                out[j..].iter().take_while(|&&c| c == '`').count() == run
                    && (j + run >= out.len() || out[j + run] != '`')
            });
            if let Some(j) = close {
                for c in &mut out[i..j + run] {
                    *c = ' ';
                }
                i = j + run;
                continue;
            }
            i += run;
            continue;
        }
        if out[i..].starts_with(&['<', '!', '-', '-']) {
            let end =
                (i + 4..out.len().saturating_sub(2)).find(|&j| out[j..].starts_with(&['-', '-', '>'])).map(|j| j + 3);
            let end = end.unwrap_or(out.len());
            for c in &mut out[i..end] {
                *c = ' ';
            }
            i = end;
            continue;
        }
        i += 1;
    }
    out.into_iter().collect()
}

fn push_matches(
    out: &mut Vec<Finding>,
    line: &str,
    lower: &str,
    phrase: &str,
    number: usize,
    rule: Rule,
    suggestion: &str,
) {
    for at in whole_word_positions(lower, phrase) {
        out.push(finding(line, at, at + phrase.len(), number, rule, suggestion));
    }
}

fn finding(line: &str, start: usize, end: usize, number: usize, rule: Rule, suggestion: &str) -> Finding {
    Finding {
        line: number,
        column: line[..start].chars().count() + 1,
        rule,
        phrase: line[start..end].to_string(),
        suggestion: suggestion.to_string(),
    }
}

/// Byte offsets where `phrase` occurs as whole words ("blameless" is not "blame").
fn whole_word_positions(haystack: &str, phrase: &str) -> Vec<usize> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = haystack[from..].find(phrase) {
        let at = from + i;
        let end = at + phrase.len();
        let before_ok = haystack[..at].chars().next_back().is_none_or(|c| !is_word(c));
        let after_ok = haystack[end..].chars().next().is_none_or(|c| !is_word(c));
        if before_ok && after_ok {
            found.push(at);
        }
        from = at + phrase.len().max(1);
    }
    found
}

fn starts_with_word(text: &str, word: &str) -> bool {
    text.starts_with(word) && text[word.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str, names: &[&str]) -> Vec<(usize, Rule, String)> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        lint_markdown(text, &names).into_iter().map(|f| (f.line, f.rule, f.phrase)).collect()
    }

    #[test]
    fn counterfactuals_and_judgements_are_found_on_whole_words() {
        let found = rules("We should have paged earlier.\nThis was obviously human error.\nA blameless review.", &[]);
        assert_eq!(
            found,
            vec![
                (1, Rule::Counterfactual, "should have".into()),
                (2, Rule::Blame, "obviously".into()),
                (2, Rule::Blame, "human error".into()),
            ]
        );
        assert!(rules("the shoulder havoc; carelessness-free", &[]).is_empty());
    }

    #[test]
    fn code_quotes_and_fences_are_not_prose() {
        let text = "Ran `grep 'failed to connect'`.\n> ERROR failed to connect to db\n```\nshould have\n```\n\n    if only = true\n";
        assert!(rules(text, &[]).is_empty(), "{:?}", rules(text, &[]));
    }

    #[test]
    fn a_person_as_the_cause_is_flagged() {
        let text =
            "Bo deployed the change.\nBo caused the outage.\n\n## Contributing factors\n\n- Bo's config change\n";
        assert_eq!(
            rules(text, &["Bo"]),
            vec![(2, Rule::PersonAsCause, "Bo caused".into()), (6, Rule::PersonAsCause, "Bo".into())]
        );
    }

    #[test]
    fn vague_action_items_and_missing_owners_are_flagged() {
        let text = "## Action items\n\n| ID | Item | Owner | Due |\n|---|---|---|---|\n| F1 | Improve monitoring | | 2026-12-01 |\n| F2 | Add a canary | bo | TBD |\n\n## Notes\n\nWe will improve.\n";
        assert_eq!(
            rules(text, &[]),
            vec![
                (5, Rule::VagueAction, "no owner".into()),
                (5, Rule::VagueAction, "Improve".into()),
                (6, Rule::VagueAction, "no due date".into()),
            ]
        );
    }

    #[test]
    fn a_line_can_silence_a_rule_only_with_a_reason() {
        assert!(
            rules("They said we should have known. <!-- lint-allow: counterfactual: quoting the customer -->", &[])
                .is_empty()
        );
        let found = rules("We should have known. <!-- lint-allow: counterfactual -->", &[]);
        assert_eq!(found.iter().map(|f| f.1).collect::<Vec<_>>(), vec![Rule::Counterfactual, Rule::Suppression]);
        let found = rules("Fine. <!-- lint-allow: typo: x -->", &[]);
        assert_eq!(found.iter().map(|f| f.1).collect::<Vec<_>>(), vec![Rule::Suppression]);
    }

    #[test]
    fn columns_count_characters() {
        let found = lint_markdown("Ünïcode İİ: Should have", &[]);
        assert_eq!((found[0].column, found[0].phrase.as_str()), (13, "Should have"));
    }
}
