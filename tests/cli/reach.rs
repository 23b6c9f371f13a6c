//! How far the runbook format reaches (runbooks/README.md, "ten public runbooks"): public
//! runbooks rewritten in `tests/fixtures/runbooks/public/`, each step of the source a
//! `# step N: "quote" -- full | partly: why | not: why` comment. The README's table is counted
//! from those comments, never typed: a step re-judged in a file without its row, or a row
//! edited by hand, fails here.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::harness::{Env, read, text};

/// Steps expressed fully, partly and not at all.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Reach {
    full: usize,
    partly: usize,
    not: usize,
}

impl Reach {
    fn steps(self) -> usize {
        self.full + self.partly + self.not
    }

    fn add(self, other: Reach) -> Reach {
        Reach { full: self.full + other.full, partly: self.partly + other.partly, not: self.not + other.not }
    }

    /// The table's cell: `55 / 3 / 4`.
    fn cell(self) -> String {
        format!("{} / {} / {}", self.full, self.partly, self.not)
    }
}

fn public_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runbooks/public")
}

fn readme() -> String {
    read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/README.md"))
}

/// The public runbooks by file stem.
fn public_runbooks() -> BTreeMap<String, PathBuf> {
    std::fs::read_dir(public_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect()
}

/// Counts one file's step comments. Steps must be numbered 1..N, each once, and a step that is
/// not full must say why, so that the count can be audited line by line.
fn count_steps(path: &Path) -> Result<Reach, String> {
    let line_form = regex::Regex::new(r"^\s*# step (\d+): (.+) -- (full|partly|not)(: .+)?$").unwrap();
    let mut seen = Vec::new();
    let mut reach = Reach::default();
    for (n, line) in read(path).lines().enumerate() {
        if !line.trim_start().starts_with("# step ") {
            continue;
        }
        let at = format!("{}:{}", path.display(), n + 1);
        let parts = line_form.captures(line).ok_or_else(|| format!("{at}: not `# step N: \"quote\" -- status`"))?;
        let status = &parts[3];
        if status != "full" && parts.get(4).is_none() {
            return Err(format!("{at}: a step that is {status} must say why (`-- {status}: why`)"));
        }
        match status {
            "full" => reach.full += 1,
            "partly" => reach.partly += 1,
            _ => reach.not += 1,
        }
        seen.push(parts[1].parse::<usize>().unwrap());
    }
    seen.sort_unstable();
    let expected: Vec<usize> = (1..=seen.len()).collect();
    if seen != expected {
        return Err(format!("{}: steps numbered {seen:?}, not 1..={}", path.display(), seen.len()));
    }
    Ok(reach)
}

/// The first three numbers of a cell (`**55 / 3 / 4** (89% fully...)`).
fn reach_cell(cell: &str) -> Option<Reach> {
    let numbers: Vec<usize> =
        regex::Regex::new(r"\d+").unwrap().find_iter(cell).map(|m| m.as_str().parse().unwrap()).collect();
    match numbers[..] {
        [full, partly, not, ..] => Some(Reach { full, partly, not }),
        _ => None,
    }
}

fn first_number(cell: &str) -> Option<usize> {
    regex::Regex::new(r"\d+").unwrap().find(cell)?.as_str().parse().ok()
}

/// The README row that names `public/NAME.yaml` (or the total row), as its cells.
fn table_row(readme: &str, key: &str) -> Vec<String> {
    let row = readme
        .lines()
        .find(|l| l.starts_with('|') && l.contains(key))
        .unwrap_or_else(|| panic!("{key} is not in runbooks/README.md's reach table"));
    row.split('|').map(|c| c.trim().to_string()).collect()
}

fn percent(part: usize, whole: usize) -> usize {
    (part * 100 + whole / 2) / whole
}

/// The reach measurement (runbooks/README.md): every public runbook rewritten in the format
/// lints clean, each is cited in the table, and the table's steps and after column (per row and
/// in total) are what the files' step comments count.
#[test]
fn the_public_runbooks_of_the_reach_table_lint_clean_and_are_cited() {
    let env = Env::new();
    let out = env.run(&["runbook", "lint", public_dir().to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let runbooks = public_runbooks();
    assert!(runbooks.len() >= 10, "at least ten public runbooks: {runbooks:?}");
    assert!(stderr.contains(&format!("{} runbooks OK", runbooks.len())), "{stderr}");

    let readme = readme();
    let (mut counted, mut before_total, mut steps_total) = (Reach::default(), Reach::default(), 0);
    let mut wrong = Vec::new();
    for (name, path) in &runbooks {
        let reach = count_steps(path).unwrap_or_else(|e| panic!("{e}"));
        // | runbook | file | steps | before | after | what the after uses |
        let row = table_row(&readme, &format!("`public/{name}.yaml`"));
        let (steps, before, after) = (first_number(&row[3]), reach_cell(&row[4]), reach_cell(&row[5]));
        if steps != Some(reach.steps()) || after != Some(reach) {
            wrong.push(format!("public/{name}.yaml: steps {} and after {} (counted)", reach.steps(), reach.cell()));
        }
        let before = before.unwrap_or_else(|| panic!("{name}: no before figures in {row:?}"));
        assert_eq!(before.steps(), reach.steps(), "{name}: before and after count the same steps");
        counted = counted.add(reach);
        before_total = before_total.add(before);
        steps_total += reach.steps();
    }
    assert!(wrong.is_empty(), "runbooks/README.md's reach table is not what the files count:\n{}", wrong.join("\n"));

    let total = table_row(&readme, "**total**");
    assert_eq!(first_number(&total[3]), Some(steps_total), "total steps: {total:?}");
    assert_eq!(reach_cell(&total[4]), Some(before_total), "total before is the sum of the rows: {total:?}");
    assert_eq!(reach_cell(&total[5]), Some(counted), "total after, counted: {} in {total:?}", counted.cell());
    for (reach, cell) in [(before_total, &total[4]), (counted, &total[5])] {
        let fully = format!("{}% fully", percent(reach.full, steps_total));
        let partly = format!("{}% at least partly", percent(reach.full + reach.partly, steps_total));
        assert!(cell.contains(&fully) && cell.contains(&partly), "{cell:?} should say {fully}, {partly}");
    }
}

/// A step comment that the counter would skip or miscount is refused with its file and line.
#[test]
fn a_step_comment_without_its_status_or_reason_is_refused_where_it_is() {
    let env = Env::new();
    let cases = [
        ("# step 1: \"check it\" -- full\n# step 2: \"do it\"\n", "x.yaml:2: not `# step N"),
        ("# step 1: \"check it\" -- partly\n", "x.yaml:1: a step that is partly must say why"),
        ("# step 1: \"a\" -- full\n# step 3: \"b\" -- not: TODO\n", "steps numbered [1, 3], not 1..=2"),
    ];
    for (file, error) in cases {
        let path = env.write("x.yaml", file);
        let got = count_steps(&path).unwrap_err();
        assert!(got.contains(error), "{got:?} should contain {error:?}");
    }
    let ok = env.write("x.yaml", "# step 1: \"a\" -- full\n  # step 2: \"b\" -- not: TODO in the source\n");
    assert_eq!(count_steps(&ok), Ok(Reach { full: 1, partly: 0, not: 1 }));
}
