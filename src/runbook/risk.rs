//! Risky patterns in a runbook that loads: places where a value could still become code or an
//! option despite the rules of `run:` and `shell:`. `runbook lint` reports them as warnings with
//! file:line:column; they do not stop the runbook from running.

use super::load::{Problem, Source, problem_at};
use super::schema::{CommandSpec, RunbookFile, Text};
use super::template::is_template;

/// Programs that run their argument as code after `-c` (or `-e`).
const INTERPRETERS: &[&str] =
    &["sh", "bash", "dash", "zsh", "ksh", "ash", "fish", "python", "python3", "perl", "ruby", "node", "php", "pwsh"];

/// Flags after which an interpreter reads code.
const CODE_FLAGS: &[&str] = &["-c", "-e", "-ec", "-xc", "--command", "-Command"];

/// ssh options that take a value as the next word.
const SSH_OPTIONS_WITH_VALUE: &[&str] = &[
    "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p", "-Q", "-R", "-S", "-W",
    "-w",
];

/// Every risky pattern of `file`, in file order.
pub fn risky_patterns(source: &Source, file: &RunbookFile) -> Vec<Problem> {
    let mut commands: Vec<&CommandSpec> = file.observe.iter().filter_map(|c| c.command.as_ref()).collect();
    for action in &file.act {
        commands.extend(action.command.iter());
        commands.extend(action.steps.iter().filter_map(|s| s.command.as_ref()));
        commands.extend(action.preview.iter().chain(action.rollback.iter()));
    }
    let mut found: Vec<Problem> = Vec::new();
    for command in commands {
        let mut report = |at: &Text, message: String| {
            found.push(problem_at(source, at.referenced.line(), at.referenced.column(), message));
        };
        if let Some(argv) = &command.run {
            for (at, message) in argv_risks(argv) {
                report(at, message);
            }
        }
        if let Some(script) = &command.shell
            && let Some(message) = script_risk(&script.value)
        {
            report(script, message);
        }
    }
    found.sort_by_key(|p| (p.line, p.column));
    found.dedup();
    found
}

fn program_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

fn argv_risks(argv: &[Text]) -> Vec<(&Text, String)> {
    let mut risks = Vec::new();
    if let Some(first) = argv.first()
        && is_template(&first.value)
    {
        risks.push((first, "the program to run comes from a template: a value chooses what runs".to_string()));
    }
    for (i, word) in argv.iter().enumerate() {
        let program = program_name(&word.value);
        if INTERPRETERS.contains(&program)
            && let Some(flag) = argv[i + 1..].iter().position(|w| CODE_FLAGS.contains(&w.value.as_str()))
        {
            if let Some(code) = argv[i + 1 + flag + 1..].iter().find(|w| is_template(&w.value)) {
                risks.push((
                    code,
                    format!(
                        "`{{{{ }}}}` in code that {program} runs: the value becomes code there; use `shell:`, \
                         which passes values as parameters, never as code"
                    ),
                ));
            }
            break;
        }
        if program == "ssh" {
            let mut j = i + 1;
            while j < argv.len() && argv[j].value.starts_with('-') {
                j += if SSH_OPTIONS_WITH_VALUE.contains(&argv[j].value.as_str()) { 2 } else { 1 };
            }
            if let Some(word) = argv.iter().skip(j + 1).find(|w| is_template(&w.value)) {
                risks.push((
                    word,
                    "ssh joins the words after the host into one remote shell command: the value becomes \
                     shell code there; use `host:` on the check, which quotes every word"
                        .to_string(),
                ));
            }
            break;
        }
    }
    risks
}

/// A line of a `shell:` script that hands a template's value back to a shell as code.
fn script_risk(script: &str) -> Option<String> {
    let pattern = regex::Regex::new(r"(?:^|[;&|(`\s])(eval|source|\.|sh\s+-c|bash\s+-c|ssh)\s[^\n]*\{\{").ok()?;
    let found = pattern.captures(script)?;
    let what = found.get(1).map_or("", |m| m.as_str());
    let why = if what == "ssh" {
        "ssh hands its words to a remote shell as code"
    } else {
        "it runs its argument as shell code"
    };
    Some(format!("`{what}` before `{{{{ }}}}`: {why}, so the value becomes code again"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::load;

    fn risks(observe: &str) -> Vec<String> {
        let text = format!("title: t\nvars:\n  x: {{default: a}}\nobserve:\n{observe}");
        let source = Source { path: "r.yaml".into(), text };
        let runbook = load(&source, "r").unwrap_or_else(|p| panic!("{p:?}"));
        risky_patterns(&source, &runbook.file).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn values_spliced_into_code_are_flagged_with_their_place() {
        let found = risks("  - id: a\n    command: {run: [bash, -c, \"echo {{ vars.x }}\"]}\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("r.yaml:6:31: `{{ }}` in code that bash runs"), "{found:?}");
        let found = risks("  - id: a\n    command: {run: [\"{{ vars.x }}\", status]}\n");
        assert!(found[0].contains("program to run comes from a template"), "{found:?}");
        let found = risks("  - id: a\n    command: {run: [ssh, -p, \"22\", db1, cat, \"{{ vars.x }}\"]}\n");
        assert!(found[0].contains("ssh joins"), "{found:?}");
        let found = risks("  - id: a\n    command: {shell: \"eval {{ vars.x }}\"}\n");
        assert!(found[0].contains("`eval` before"), "{found:?}");
    }

    #[test]
    fn ordinary_commands_are_not_flagged() {
        assert_eq!(risks("  - id: a\n    command: {run: [df, \"{{ vars.x }}\"]}\n"), Vec::<String>::new());
        assert_eq!(risks("  - id: a\n    command: {run: [ssh, \"{{ vars.x }}\", uptime]}\n"), Vec::<String>::new());
        assert_eq!(risks("  - id: a\n    command: {shell: \"du -sh {{ vars.x }} | sort\"}\n"), Vec::<String>::new());
    }
}
