//! The blameless-language lint: counterfactuals about people, blame and judgement, hindsight,
//! one person's thoughts told as the story, a person as the cause, vague or unowned action
//! items. Whole words only, in the author's own prose (see `prose`); a line can silence a
//! rule with a reason: `<!-- lint-allow: counterfactual: quoting the customer -->`.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    Counterfactual,
    Blame,
    /// The outcome read back into the action: "errantly", "too late", "slipped in".
    Hindsight,
    /// One person's thoughts told as the story: "team-member-1 decides to remove".
    Narration,
    PersonAsCause,
    VagueAction,
    /// A `lint-allow` without a reason, or naming no known rule.
    Suppression,
}

impl Rule {
    pub const ALL: &[Rule] = &[
        Rule::Counterfactual,
        Rule::Blame,
        Rule::Hindsight,
        Rule::Narration,
        Rule::PersonAsCause,
        Rule::VagueAction,
        Rule::Suppression,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Counterfactual => "counterfactual",
            Rule::Blame => "blame",
            Rule::Hindsight => "hindsight",
            Rule::Narration => "narration",
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

mod actions;
mod lexicon;
mod prose;

use lexicon::*;

const PERSON_SUGGESTION: &str = "name the system, process or condition, not the person";
const NARRATION_SUGGESTION: &str =
    "tell what the system showed and what the procedure asked, not one person's thoughts";

/// Where the scan is in the document.
#[derive(Default)]
struct Section {
    /// Under a heading or label that lists actions.
    actions: bool,
    /// Under "Contributing factors" or "Root cause(s)".
    factors: bool,
    table: Option<actions::Columns>,
}

impl Section {
    fn titled(title: &str) -> Self {
        let lower = title.to_ascii_lowercase();
        Section {
            actions: actions::opens_actions(&lower),
            factors: lower.contains("contributing factor") || lower.contains("root cause"),
            table: None,
        }
    }
}

/// A label that opens a section without a heading: `**Action items:**`, `Corrective actions:`.
/// Returns the label and where the text after it starts.
fn label(line: &str) -> Option<(String, usize)> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let bold = trimmed.starts_with("**") || trimmed.starts_with("__");
    let body = if bold { &trimmed[2..] } else { trimmed };
    let colon = body.find(':')?;
    let title = body[..colon].trim_end_matches(['*', '_']).trim();
    let words = title.split_whitespace().count();
    let shaped = (1..=5).contains(&words)
        && title.chars().next().is_some_and(char::is_uppercase)
        && title.chars().all(|c| c.is_alphanumeric() || " /'&-".contains(c));
    if !shaped {
        return None;
    }
    let mut rest = indent + (trimmed.len() - body.len()) + colon + 1;
    rest += line[rest..].len() - line[rest..].trim_start_matches(['*', '_']).len();
    Some((title.to_string(), rest))
}

/// Lints Markdown. `names` are the people involved (responders, role holders, `--name`): a
/// name as the subject of a cause, or anywhere in a "Contributing factors" section, is flagged.
pub fn lint_markdown(text: &str, names: &[String]) -> Vec<Finding> {
    let names: Vec<String> =
        names.iter().map(|n| n.trim().to_ascii_lowercase()).filter(|n| n.chars().count() >= 2).collect();
    let mut findings = Vec::new();
    let mut fence: Option<String> = None;
    let mut section = Section::default();
    let mut previous_blank = true;
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
        // Quoted text (log lines, a customer's words), indented code and pasted output.
        if trimmed.starts_with('>') || indented_code || prose::is_captured_output(raw) {
            continue;
        }
        let mut item_from = None;
        if let Some(heading) = trimmed.strip_prefix('#') {
            let title = heading.trim_start_matches('#').trim();
            section = Section::titled(title);
            // A template's question ("What could have gone better?") is a prompt, not a claim.
            if title.trim_end_matches(['*', '_', ' ']).ends_with('?') {
                continue;
            }
        } else if let Some((title, rest)) = label(raw) {
            section = Section::titled(&title);
            if section.actions && !raw[rest..].trim().is_empty() {
                item_from = Some(rest);
            }
        }
        let (allowed, mut line_findings) = suppressions(raw, number);
        let visible = prose::visible(raw);
        // ASCII lowering keeps byte offsets identical to `visible`'s, so a match found in one
        // can be cut from the other (Unicode lowering can change lengths).
        let lower = visible.to_ascii_lowercase();
        let words = prose::words(&lower);

        prose_findings(&visible, &lower, &words, &names, number, section.factors, &mut line_findings);
        drop_principle_statements(&lower, &mut line_findings, number);

        if section.actions {
            if trimmed.starts_with('|') {
                let cells = actions::cells(&visible);
                match actions::classify_row(&cells, section.table) {
                    actions::Row::Header(columns) => section.table = Some(columns),
                    actions::Row::Separator => {}
                    actions::Row::Item => {
                        let columns = section.table.unwrap_or_default();
                        let start = visible.find('|').map_or(0, |i| i + 1);
                        actions::check_item(
                            &visible,
                            start,
                            Some((&cells, columns)),
                            &names,
                            number,
                            &mut line_findings,
                        );
                    }
                }
            } else if let Some(start) = item_from.or_else(|| actions::item_start(&visible)) {
                actions::check_item(&visible, start, None, &names, number, &mut line_findings);
            }
        }
        line_findings.retain(|f| f.rule == Rule::Suppression || !allowed.contains(&f.rule));
        // The longest phrase first at each column, then drop any finding inside an earlier
        // one of the same rule ("more careful" within "be more careful").
        line_findings.sort_by_key(|f| (f.column, std::cmp::Reverse(f.phrase.chars().count())));
        let mut kept: Vec<Finding> = Vec::new();
        for f in line_findings {
            let end = f.column + f.phrase.chars().count();
            let inside = kept.iter().any(|k| {
                k.rule == f.rule
                    && k.column <= f.column
                    && end <= k.column + k.phrase.chars().count()
                    && k.phrase.to_lowercase().contains(&f.phrase.to_lowercase())
            });
            if !inside {
                kept.push(f);
            }
        }
        findings.extend(kept);
    }
    findings
}

/// The prose rules on one line: counterfactuals about people, blame and judgement, hindsight,
/// person-focused narration, a person as the cause.
fn prose_findings(
    visible: &str,
    lower: &str,
    words: &[(usize, usize)],
    names: &[String],
    number: usize,
    in_factors: bool,
    out: &mut Vec<Finding>,
) {
    let word_at = |i: usize| &lower[words[i].0..words[i].1];
    let index_of = |at: usize| words.iter().position(|w| w.0 >= at).unwrap_or(words.len());
    // Whether a person stands among the words from `from` to `to` (byte offsets).
    let person_between = |from: usize, to: usize, roles: &[&str]| {
        let slice = &lower[from..to];
        names.iter().any(|n| !whole_word_positions(slice, n).is_empty())
            || words.iter().filter(|w| w.0 >= from && w.1 <= to).any(|w| {
                let word = &lower[w.0..w.1];
                roles.contains(&word) || word.starts_with("team-member")
            })
    };
    let people: Vec<&str> = PEOPLE_PRONOUNS.iter().chain(ROLE_NOUNS.iter()).copied().collect();

    for (phrase, suggestion) in COUNTERFACTUALS {
        for at in whole_word_positions(lower, phrase) {
            if person_between(prose::clause_start(lower, at, false), at, &people) {
                out.push(finding(visible, at, at + phrase.len(), number, Rule::Counterfactual, suggestion));
            }
        }
    }
    for (phrase, suggestion) in ALWAYS_COUNTERFACTUAL {
        push_matches(out, visible, lower, phrase, number, Rule::Counterfactual, suggestion);
    }

    let negated = |at: usize| {
        let i = index_of(at);
        (i.saturating_sub(3)..i).any(|j| NEGATIONS.contains(&word_at(j)) || word_at(j).ends_with("n't"))
    };
    for (phrase, suggestion) in JUDGEMENTS {
        for at in whole_word_positions(lower, phrase) {
            if !negated(at) {
                out.push(finding(visible, at, at + phrase.len(), number, Rule::Blame, suggestion));
            }
        }
    }
    for (i, w) in words.iter().enumerate() {
        let judged = JUDGING_ADVERBS.contains(&word_at(i))
            && i + 1 < words.len()
            && ["ed", "en"].iter().any(|e| word_at(i + 1).ends_with(e));
        if judged && !negated(w.0) {
            let suggestion = "describe the work's effect, not its quality";
            out.push(finding(visible, w.0, words[i + 1].1, number, Rule::Blame, suggestion));
        }
    }

    for (phrase, suggestion) in HINDSIGHT {
        for at in whole_word_positions(lower, phrase) {
            if !negated(at) {
                out.push(finding(visible, at, at + phrase.len(), number, Rule::Hindsight, suggestion));
            }
        }
    }
    for (phrase, suggestion) in HINDSIGHT_ADVERBS {
        for at in whole_word_positions(lower, phrase) {
            let (from, to) = (prose::clause_start(lower, at, false), prose::clause_end(lower, at));
            let i = index_of(at);
            let operation = (i.saturating_sub(3)..(i + 4).min(words.len())).any(|j| OPERATIONS.contains(&word_at(j)));
            if operation || person_between(from, to, &people) {
                out.push(finding(visible, at, at + phrase.len(), number, Rule::Hindsight, suggestion));
            }
        }
    }

    let wrong_target = WRONG_TARGET_MARKERS.iter().any(|m| !whole_word_positions(lower, m).is_empty());
    // One person's thoughts told as the story: "team-member-1 decides to remove the directory".
    for (i, w) in words.iter().enumerate() {
        let verb = word_at(i);
        if !MENTAL_VERBS.contains(&verb) && verb != "proceeds" {
            continue;
        }
        // Noticing a symptom is a timeline entry; noticing one's own slip is the story of it.
        let noticing = ["notic", "realiz", "realis"].iter().any(|v| verb.starts_with(v));
        let own_slip = wrong_target || lower.contains("mistake");
        if noticing && !own_slip {
            continue;
        }
        let from = prose::clause_start(lower, w.0, false).max(words[i.saturating_sub(6)].0);
        let one_of = lower[from..w.0].contains("one of the");
        // One person: "he", "she", a role in the singular, or one of a plural ("one of the engineers").
        let singular = |w: &&str| one_of || (!w.ends_with('s') && !GROUP_NOUNS.contains(w));
        let roles: Vec<&str> = ["he", "she"].into_iter().chain(ROLE_NOUNS.iter().copied().filter(singular)).collect();
        if person_between(from, w.0, &roles) {
            out.push(finding(visible, w.0, w.1, number, Rule::Narration, NARRATION_SUGGESTION));
        }
    }

    // A person or a role as the subject of the damage: "the engineer deleted the data".
    let causers: Vec<&str> =
        ROLE_NOUNS.iter().copied().filter(|r| !matches!(*r, "team" | "humans" | "human")).collect();
    let is_causer = |at: usize| {
        names.iter().any(|n| lower[at..].starts_with(n.as_str()))
            || words.iter().any(|x| {
                x.0 == at && {
                    let word = &lower[x.0..x.1];
                    causers.contains(&word) || word.starts_with("team-member")
                }
            })
    };
    for (i, w) in words.iter().enumerate() {
        let verb = word_at(i);
        let slip_follows =
            (i + 1..(i + 4).min(words.len())).any(|j| matches!(word_at(j), "error" | "mistake" | "slip"));
        // An omission: "one of the technicians did not copy the new code".
        let omission = verb == "didn't" || (verb == "not" && i > 0 && word_at(i - 1) == "did");
        let causes = CAUSE_VERBS.contains(&verb)
            || (wrong_target && WRONG_TARGET_VERBS.contains(&verb))
            || (verb == "made" && slip_follows)
            || omission;
        if !causes {
            continue;
        }
        let from = prose::clause_start(lower, w.0, true).max(words[i.saturating_sub(12)].0);
        let subject = (from..w.0).rev().find(|&at| {
            lower.is_char_boundary(at)
                && (at == 0 || !lower.as_bytes()[at - 1].is_ascii_alphanumeric())
                && is_causer(at)
        });
        // "by the engineer" is passive: the thing done is the subject.
        if let Some(at) = subject.filter(|&at| !lower[..at].trim_end().ends_with(" by")) {
            out.push(finding(visible, at, w.1, number, Rule::PersonAsCause, PERSON_SUGGESTION));
        }
    }
    // "a mistake by a single sysadmin": the slip pinned on a person.
    for (i, w) in words.iter().enumerate() {
        let by_follows = words.get(i + 1).is_some_and(|n| &lower[n.0..n.1] == "by");
        if !matches!(word_at(i), "mistake" | "error" | "slip") || !by_follows {
            continue;
        }
        let person = (i + 2..(i + 6).min(words.len())).find(|&j| is_causer(words[j].0));
        if let Some(j) = person {
            out.push(finding(visible, w.0, words[j].1, number, Rule::PersonAsCause, PERSON_SUGGESTION));
        }
    }
    if in_factors {
        for name in names {
            for at in whole_word_positions(lower, name) {
                out.push(finding(visible, at, at + name.len(), number, Rule::PersonAsCause, PERSON_SUGGESTION));
            }
        }
    }
}

/// A sentence that states the blameless principle ("we look at systems, not individuals";
/// "this is not incompetence") is not itself blame.
fn drop_principle_statements(lower: &str, findings: &mut Vec<Finding>, number: usize) {
    let principled: Vec<(usize, usize)> = prose::sentences(lower)
        .into_iter()
        .filter(|&(s, e)| {
            let words: Vec<&str> = prose::words(&lower[s..e]).iter().map(|&(a, b)| &lower[s + a..s + b]).collect();
            let negation = words.iter().any(|w| NEGATIONS.contains(w) || w.ends_with("n't"));
            words.iter().any(|w| w.starts_with("blameless"))
                || (negation && words.iter().any(|w| PRINCIPLE_WORDS.iter().any(|p| w.starts_with(p))))
        })
        .map(|(s, e)| (lower[..s].chars().count() + 1, lower[..e].chars().count() + 1))
        .collect();
    findings.retain(|f| {
        f.line != number
            || matches!(f.rule, Rule::VagueAction | Rule::Suppression)
            || !principled.iter().any(|&(s, e)| s <= f.column && f.column < e)
    });
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
pub(super) fn whole_word_positions(haystack: &str, phrase: &str) -> Vec<usize> {
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

pub(super) fn starts_with_word(text: &str, word: &str) -> bool {
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
        let found = lint_markdown("Ünïcode İİ: We should have", &[]);
        assert_eq!((found[0].column, found[0].phrase.as_str()), (16, "should have"));
    }

    #[test]
    fn counterfactuals_about_systems_and_safeguards_are_not_blame() {
        let text = "A canary would have detected the issue within minutes.\nThe job failed to start.\nThe author failed to transmit the variable.\nIf it had, it would have broken every build.";
        assert_eq!(rules(text, &[]), vec![(3, Rule::Counterfactual, "failed to".into())]);
    }

    #[test]
    fn principle_statements_question_headings_and_captured_output_are_skipped() {
        let text = "We write post-mortems to understand what happened, not to assign blame.\nThis is not incompetence.\n## What could have gone better? Who should have known?\n| 14:02 | Check systemd CRITICAL: Failed to connect to bus; we should have | x |\n2026-11-22 14:02:11 ERROR operator error, should have retried";
        assert!(rules(text, &[]).is_empty(), "{:?}", rules(text, &[]));
    }

    #[test]
    fn hindsight_and_one_persons_thoughts_are_flagged() {
        let text = "An engineer proceeds to wipe it, errantly thinking it was the secondary.\n_bo_ decides to remove the directory.\nWe incorrectly assessed the risk until it was too late.\nThe job was mistakenly marked as correct.\nThe on-call engineer notices a spike in 500s.";
        let found = rules(text, &["bo"]);
        assert_eq!(
            found,
            vec![
                (1, Rule::Narration, "proceeds".into()),
                (1, Rule::Hindsight, "errantly".into()),
                (2, Rule::Narration, "decides".into()),
                (3, Rule::Hindsight, "incorrectly".into()),
                (3, Rule::Hindsight, "too late".into()),
            ]
        );
    }

    #[test]
    fn a_role_as_the_cause_is_flagged_but_not_a_passive_aside() {
        let found = rules(
            "The engineer deleted the data.\nThe data was deleted by the engineer.\nAn operator ran it on db1 instead of db2.",
            &[],
        );
        assert_eq!(
            found,
            vec![(1, Rule::PersonAsCause, "engineer deleted".into()), (3, Rule::PersonAsCause, "operator ran".into())]
        );
    }

    #[test]
    fn an_omission_or_a_slip_pinned_on_a_role_is_flagged() {
        let found = rules(
            "One of the technicians did not copy the code.\nIt was traced to an error by a single sysadmin.\nThe cron job did not run.",
            &[],
        );
        assert_eq!(
            found,
            vec![
                (1, Rule::PersonAsCause, "technicians did not".into()),
                (2, Rule::PersonAsCause, "error by a single sysadmin".into()),
            ]
        );
    }

    #[test]
    fn action_items_are_read_under_any_actions_heading_or_label() {
        let text = "## Remediation\n- Investigate the replica lag\n- Add a disk alert (owner: @bo, due 2026-12-01)\n\n**Next steps:**\n1. Improve monitoring\n\n### Actions taken\n- We blocked the spammers\n\n## What went well\n- Improve nothing";
        let found = rules(text, &[]);
        assert_eq!(
            found,
            vec![
                (2, Rule::VagueAction, "Investigate".into()),
                (2, Rule::VagueAction, "no owner".into()),
                (6, Rule::VagueAction, "no owner".into()),
                (6, Rule::VagueAction, "Improve".into()),
            ]
        );
    }
}
