//! The blameless lint measured on a labelled corpus of real public post-mortems
//! (`tests/fixtures/postmortem/corpus/`, sources in its README). Each labelled line ends with
//! `<!-- expect: RULE[, RULE] -->` or `<!-- expect: none -->`; an unlabelled line expects
//! nothing. A finding counts per (line, rule): the figures fall if the lint starts flagging
//! system counterfactuals, principle statements or captured output, or stops seeing blame.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{Env, text};

const PRECISION_TARGET: f64 = 0.8;
const RECALL_TARGET: f64 = 0.6;

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/postmortem/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the corpus folder")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md") && !p.ends_with("README.md"))
        .collect();
    files.sort();
    files
}

/// `(line, rule)` pairs the labels expect, and the `--name`s the file declares.
fn labels(text: &str) -> (BTreeSet<(usize, String)>, Vec<String>) {
    let mut expected = BTreeSet::new();
    let mut names = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if let Some(rest) = line.split("<!-- names:").nth(1) {
            names.extend(rest.trim_end_matches("-->").split(',').map(|n| n.trim().to_string()));
        }
        if let Some(rest) = line.split("<!-- expect:").nth(1) {
            for rule in rest.trim().trim_end_matches("-->").split(',').map(str::trim) {
                if rule != "none" {
                    expected.insert((index + 1, rule.to_string()));
                }
            }
        }
    }
    (expected, names)
}

/// `(line, rule)` pairs the real binary finds, through `incident --json lint FILE`.
fn found(env: &Env, path: &Path, names: &[String]) -> BTreeSet<(usize, String)> {
    let mut args = vec!["--json".to_string(), "lint".to_string(), path.display().to_string()];
    for name in names {
        args.extend(["--name".to_string(), name.clone()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env.run(&args);
    assert!(out.status.code().is_some_and(|c| c <= 1), "lint failed: {}", text(&out.stderr));
    let items: Vec<Value> = serde_json::from_slice(&out.stdout).expect("a JSON list");
    items
        .iter()
        .map(|f| (f["line"].as_u64().expect("a line") as usize, f["rule"].as_str().expect("a rule").to_string()))
        .collect()
}

#[derive(Default)]
struct Tally {
    true_positives: usize,
    false_positives: usize,
    false_negatives: usize,
}

impl Tally {
    fn precision(&self) -> f64 {
        let flagged = self.true_positives + self.false_positives;
        if flagged == 0 { 1.0 } else { self.true_positives as f64 / flagged as f64 }
    }
    fn recall(&self) -> f64 {
        let expected = self.true_positives + self.false_negatives;
        if expected == 0 { 1.0 } else { self.true_positives as f64 / expected as f64 }
    }
}

#[test]
fn the_lint_meets_its_precision_and_recall_targets_on_real_post_mortems() {
    let mut per_rule: BTreeMap<String, Tally> = BTreeMap::new();
    let mut misses = Vec::new();
    let env = Env::new();
    let files = corpus();
    assert!(files.len() >= 15, "the corpus holds {} documents, fewer than 15", files.len());
    for path in &files {
        let text = std::fs::read_to_string(path).expect("a corpus file");
        let (expected, names) = labels(&text);
        let found = found(&env, path, &names);
        let file = path.file_name().unwrap().to_string_lossy();
        for hit in found.union(&expected) {
            let tally = per_rule.entry(hit.1.clone()).or_default();
            match (found.contains(hit), expected.contains(hit)) {
                (true, true) => tally.true_positives += 1,
                (true, false) => {
                    tally.false_positives += 1;
                    misses.push(format!("false positive {file}:{}: {}", hit.0, hit.1));
                }
                _ => {
                    tally.false_negatives += 1;
                    misses.push(format!("missed {file}:{}: {}", hit.0, hit.1));
                }
            }
        }
    }
    let mut overall = Tally::default();
    let mut report = format!("{:<16} {:>4} {:>4} {:>4} {:>9} {:>6}\n", "rule", "tp", "fp", "fn", "precision", "recall");
    for (rule, t) in &per_rule {
        report.push_str(&format!(
            "{rule:<16} {:>4} {:>4} {:>4} {:>9.2} {:>6.2}\n",
            t.true_positives,
            t.false_positives,
            t.false_negatives,
            t.precision(),
            t.recall()
        ));
        overall.true_positives += t.true_positives;
        overall.false_positives += t.false_positives;
        overall.false_negatives += t.false_negatives;
    }
    report.push_str(&format!(
        "{:<16} {:>4} {:>4} {:>4} {:>9.2} {:>6.2}\n",
        "overall",
        overall.true_positives,
        overall.false_positives,
        overall.false_negatives,
        overall.precision(),
        overall.recall()
    ));
    // Shown with `cargo test --test cli blameless_corpus -- --nocapture`.
    println!("{report}{}", misses.join("\n"));
    assert!(
        overall.precision() >= PRECISION_TARGET && overall.recall() >= RECALL_TARGET,
        "below target (precision {PRECISION_TARGET}, recall {RECALL_TARGET}):\n{report}{}",
        misses.join("\n")
    );
}
