//! The interactive OODA loop: Observe, Orient, Decide, Act, and back to Observe when a
//! hypothesis is refuted. Every answer is recorded through the same operations the
//! non-interactive commands use (`crate::ops`), the moment it is given: an interrupt or a closed
//! terminal loses nothing, and `incident walk` resumes in the phase it left.

mod escape;
mod guide;
mod prompt;

use std::io::IsTerminal;

use crate::context::{Context, Loaded};
use crate::error::{Error, Result};
use crate::model::{Body, HypothesisState, Phase, Status};
use crate::ops::{self, Echo, RunOptions};
use crate::output::Style;
use crate::process;
use crate::store::IncidentDir;
use crate::time;

use guide::Guide;
pub use prompt::Prompter;

use crate::model::CheckRecord;
use crate::runbook::Suggestion;

/// The questions asked in Orient, after a runbook's own.
pub const ORIENTATION_QUESTIONS: &[&str] = &[
    "What changed most recently (deploys, config, credentials, traffic)?",
    "Are we the only ones failing? Is the infrastructure around it up?",
    "Where and what exactly is the failure?",
    "What happened just before it?",
    "What should happen instead, when it works?",
];

/// Asked instead on a later pass, after a hypothesis was refuted.
const FURTHER_AWAY: &str =
    "What is one step further away that nobody has looked at yet (a dependency, the network, upstream changes)?";

/// Fails at once, naming the non-interactive commands, when there is no terminal to ask on.
pub fn require_terminal(what: &str) -> Result<()> {
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        return Ok(());
    }
    Err(Error::usage(format!("{what} needs a terminal to ask questions on, and this is not one")).with_hint(
        "record the loop with the non-interactive commands instead: incident observe TEXT, incident hypothesis add TEXT, \
         incident decide TEXT --hypothesis ID, incident run -- CMD, incident hypothesis confirm|refute ID --evidence TEXT, \
         incident status mitigated, incident resolve",
    ))
}

/// Where a walk stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Observe,
    Orient,
    Decide,
    Act(String),
    Done,
}

/// Walks the loop on `dir` until the service has recovered or the person stops.
pub fn run(ctx: &Context, dir: IncidentDir) -> Result<u8> {
    require_terminal("the walk")?;
    let _farewell = crate::signals::say_on_interrupt(RESUME_MESSAGE);
    let escape_dir = dir.clone();
    let prompter =
        Prompter::new(ctx.out.colors_stderr()).with_escape(Box::new(move |line| escape::run(ctx, &escape_dir, line)));
    ctx.out.info(&ctx.out.paint_err(Style::Dim, escape::HINT));
    let loaded = ctx.load_dir(dir.clone())?;
    if loaded.incident.status == Status::Resolved {
        ctx.out.info(&format!("{} is resolved. Write it up with `incident postmortem`.", loaded.incident.id));
        return Ok(0);
    }
    let guide = Guide::load(ctx, &prompter, &loaded.incident)?;
    // What the runbook's checks found on the latest Observe pass, and what it suggests.
    let mut found: (Vec<CheckRecord>, Vec<Suggestion>) = (Vec::new(), Vec::new());
    let mut step = resume_step(&loaded);
    let mut passes =
        loaded.read.events.iter().filter(|e| matches!(e.body, Body::PhaseEntered { to: Phase::Observe })).count();
    loop {
        let loaded = ctx.load_dir(dir.clone())?;
        let phase = match &step {
            Step::Observe => Phase::Observe,
            Step::Orient => Phase::Orient,
            Step::Decide => Phase::Decide,
            Step::Act(_) => Phase::Act,
            Step::Done => return Ok(0),
        };
        if loaded.incident.phase_entered() != Some(phase) {
            ops::enter_phase(ctx, &dir, phase)?;
            if phase == Phase::Observe {
                passes += 1;
            }
        }
        status_line(ctx, &loaded, phase);
        step = match step {
            Step::Observe => observe(ctx, &prompter, &dir, passes, guide.as_ref(), &mut found)?,
            Step::Orient => orient(ctx, &prompter, &dir, passes, guide.as_ref(), &found)?,
            Step::Decide => decide(ctx, &prompter, &ctx.load_dir(dir.clone())?)?,
            Step::Act(h) => act(ctx, &prompter, &dir, &h, guide.as_ref())?,
            Step::Done => Step::Done,
        };
    }
}

/// The phase the walk last entered, and for Act the hypothesis it was acting on.
fn resume_step(loaded: &Loaded) -> Step {
    match loaded.incident.phase_entered() {
        None | Some(Phase::Observe) => Step::Observe,
        Some(Phase::Orient) => Step::Orient,
        Some(Phase::Decide) => Step::Decide,
        Some(Phase::Act) => {
            let decided = loaded.read.events.iter().rev().find_map(|e| match &e.body {
                Body::Decision { hypothesis: Some(h), .. } => Some(h.clone()),
                _ => None,
            });
            match decided {
                Some(h) if loaded.incident.open_hypotheses().any(|open| open.id == h) => Step::Act(h),
                _ => Step::Decide,
            }
        }
    }
}

fn status_line(ctx: &Context, loaded: &Loaded, phase: Phase) {
    let i = &loaded.incident;
    let since = i.clocks.opened.map(|o| time::format_offset(ctx.clock.now() - o)).unwrap_or_default();
    let open: Vec<&str> = i.open_hypotheses().map(|h| h.id.as_str()).collect();
    let open = if open.is_empty() { "none".to_string() } else { open.join(", ") };
    let line = format!(
        "── {} · {} · {} · T{since} · open hypotheses: {open} ── {}",
        i.id,
        i.severity,
        i.status,
        phase.as_str().to_uppercase()
    );
    ctx.out.info(&format!("\n{}", ctx.out.paint_err(Style::Bold, &line)));
}

fn observe(
    ctx: &Context,
    p: &Prompter,
    dir: &IncidentDir,
    passes: usize,
    guide: Option<&Guide>,
    found: &mut (Vec<CheckRecord>, Vec<Suggestion>),
) -> Result<Step> {
    if passes > 1 {
        ctx.out.info("Look one step further away than last time: dependencies, the network, what changed upstream.");
    }
    if let Some(guide) = guide {
        *found = guide.observe(ctx, dir)?;
    }
    offer_log_search(ctx, p, dir)?;
    p.each_line("What do you see? What is up, what is down? (one per line; Enter when done)", |text| {
        ops::record(ctx, dir, Body::Observation { text }, None).map(drop)
    })?;
    Ok(Step::Orient)
}

fn orient(
    ctx: &Context,
    p: &Prompter,
    dir: &IncidentDir,
    passes: usize,
    guide: Option<&Guide>,
    found: &(Vec<CheckRecord>, Vec<Suggestion>),
) -> Result<Step> {
    if let Some(guide) = guide {
        offer_suggestions(ctx, p, dir, guide, found)?;
    }
    let mut questions: Vec<String> = match guide {
        Some(guide) if passes <= 1 => guide.questions(),
        _ => Vec::new(),
    };
    if passes > 1 {
        questions.push(FURTHER_AWAY.to_string());
    } else {
        questions.extend(ORIENTATION_QUESTIONS.iter().map(|q| q.to_string()));
    }
    ctx.out.info("Orient before you act. Enter skips a question.");
    for question in &questions {
        let question = question.as_str();
        if let Some(answer) = p.text(question)? {
            ops::record(ctx, dir, Body::Observation { text: format!("{question} {answer}") }, Some(Phase::Orient))?;
        }
    }
    p.each_line("What could explain it? One hypothesis per line (Enter when done)", |text| {
        let (id, _) = ops::add_hypothesis(ctx, dir, text, None)?;
        ctx.out.info(&format!("Raised {id}."));
        Ok(())
    })?;
    Ok(Step::Decide)
}

/// What the logs said in the last 15 minutes: a search recorded on the timeline.
fn offer_log_search(ctx: &Context, p: &Prompter, dir: &IncidentDir) -> Result<()> {
    while let Some(line) = p.text("Search the logs of the last 15 minutes? PATTERN FILE... (Enter to skip)")? {
        let words = match process::split_command_line(&line) {
            Ok(words) if words.len() >= 2 => words,
            Ok(_) => {
                ctx.out.info("Give a pattern and at least one file, glob or folder: ERROR /var/log/app/*.log");
                continue;
            }
            Err(e) => {
                ctx.out.warn(&format!("cannot read that: {e}"));
                continue;
            }
        };
        match ops::search_logs(ctx, dir, &words[0], &words[1..], std::time::Duration::from_secs(15 * 60)) {
            Ok((summary, event)) => {
                ctx.out.info(&event.body.describe());
                if let Body::LogSearch { samples, .. } = &event.body {
                    for sample in samples {
                        ctx.out.info(&format!("  {}", sample.lines().next().unwrap_or_default()));
                    }
                }
                if summary.matched == 0 {
                    ctx.out.info("Nothing matched in that window.");
                }
            }
            Err(e) => ctx.out.warn(&e.to_string()),
        }
    }
    Ok(())
}

/// The hypotheses the runbook's rules suggest, with the checks behind each: the responder
/// raises those that fit. Suggested, never asserted.
fn offer_suggestions(
    ctx: &Context,
    p: &Prompter,
    dir: &IncidentDir,
    guide: &Guide,
    (records, suggestions): &(Vec<CheckRecord>, Vec<Suggestion>),
) -> Result<()> {
    let loaded = ctx.load_dir(dir.clone())?;
    let mut open: Vec<&Suggestion> =
        suggestions.iter().filter(|s| !loaded.incident.hypotheses.iter().any(|h| h.text == s.title)).collect();
    if open.is_empty() {
        return Ok(());
    }
    // Ranked: the suggestion with the most failing checks behind it first.
    open.sort_by_key(|s| std::cmp::Reverse(guide.failing_evidence(s, records)));
    ctx.out.info("The checks suggest (yours to confirm or refute):");
    for s in &open {
        ctx.out.info(&format!("  {}", s.title));
        for line in guide.evidence(s, records) {
            ctx.out.info(&format!("      because {line}"));
        }
    }
    while !open.is_empty() {
        let mut items: Vec<String> = open.iter().map(|s| format!("Raise: {}", s.title)).collect();
        items.push("Done with the suggestions".to_string());
        let picked = p.choose("Raise a suggested hypothesis?", &items, 0)?;
        if picked >= open.len() {
            break;
        }
        let s = open.remove(picked);
        let from_check = guide.evidence(s, records).first().and_then(|e| e.split_whitespace().next()).map(String::from);
        let (id, _) = ops::add_hypothesis(ctx, dir, s.title.clone(), from_check)?;
        ctx.out.info(&format!("Raised {id}."));
    }
    Ok(())
}

fn decide(ctx: &Context, p: &Prompter, loaded: &Loaded) -> Result<Step> {
    let open: Vec<_> = loaded.incident.open_hypotheses().collect();
    if open.is_empty() {
        ctx.out.info("There is no open hypothesis to test. Back to Orient: what could explain what you see?");
        return Ok(Step::Orient);
    }
    let items: Vec<String> = open.iter().map(|h| format!("{}  {}", h.id, h.text)).collect();
    let chosen = open[p.choose("Which hypothesis is most probable? Test that one first", &items, 0)?].id.clone();
    let why = p.required(&format!("Why {chosen}? (what points to it)"))?;
    ops::record(ctx, &loaded.dir, Body::Decision { text: why, hypothesis: Some(chosen.clone()) }, None)?;
    Ok(Step::Act(chosen))
}

fn act(ctx: &Context, p: &Prompter, dir: &IncidentDir, hypothesis: &str, guide: Option<&Guide>) -> Result<Step> {
    let mut how: Vec<String> = Vec::new();
    if guide.is_some() {
        how.push("Run the runbook's checks again".to_string());
    }
    how.extend([
        "Run a command that tests it".to_string(),
        "Record a check done by hand".to_string(),
        "Go back and choose another hypothesis".to_string(),
    ]);
    let offset = usize::from(guide.is_some());
    let picked = p.choose(&format!("How will you verify {hypothesis}?"), &how, 0)?;
    let (evidence_hint, verdict) = match (picked, guide) {
        (0, Some(guide)) => {
            let (records, _) = guide.observe(ctx, dir)?;
            let seen: Vec<String> = records.iter().map(|r| format!("{} {}", r.check, r.status.as_str())).collect();
            (Some(format!("checks: {}", seen.join(", "))), None)
        }
        (n, _) if n == offset => {
            let Some(run) = run_typed_command(ctx, p, dir, hypothesis)? else {
                return Ok(Step::Act(hypothesis.to_string()));
            };
            (Some(format!("`{}` {}", run.0, run.1)), None)
        }
        (n, _) if n == offset + 1 => (None, None),
        _ => return Ok(Step::Decide),
    };
    let verdicts = [
        format!("Confirmed: {hypothesis} holds"),
        format!("Refuted: {hypothesis} does not hold"),
        "Inconclusive".to_string(),
    ];
    let verdict = match verdict {
        Some(v) => v,
        None => p.choose(&format!("What did it show about {hypothesis}?"), &verdicts, 0)?,
    };
    let prompt = match &evidence_hint {
        Some(hint) => format!("What showed it? ({hint})"),
        None => "What did you check, and what did it show?".to_string(),
    };
    let mut evidence = p.required(&prompt)?;
    if let Some(hint) = evidence_hint {
        evidence = format!("{evidence} ({hint})");
    }
    let loaded = ctx.load_dir(dir.clone())?;
    match verdict {
        0 => {
            ops::verdict(ctx, &loaded, hypothesis, HypothesisState::Confirmed, evidence)?;
            remedy(ctx, p, dir, hypothesis, guide)?;
            recovered(ctx, p, dir, guide)
        }
        1 => {
            ops::verdict(ctx, &loaded, hypothesis, HypothesisState::Refuted, evidence)?;
            ctx.out.info(&format!("{hypothesis} refuted. Back to Observe, one step further away."));
            Ok(Step::Observe)
        }
        _ => {
            let text = format!("Verifying {hypothesis} was inconclusive: {evidence}");
            ops::record(ctx, dir, Body::Note { text }, Some(Phase::Act))?;
            Ok(Step::Observe)
        }
    }
}

/// Asks for a command line and runs it on the incident; `None` if it could not be split.
fn run_typed_command(
    ctx: &Context,
    p: &Prompter,
    dir: &IncidentDir,
    hypothesis: &str,
) -> Result<Option<(String, String)>> {
    let line = p.required("Command (run as typed words, never through a shell; write sh -c '...' for one)")?;
    let argv = match process::split_command_line(&line) {
        Ok(argv) if !argv.is_empty() => argv,
        Ok(_) => return Ok(None),
        Err(e) => {
            ctx.out.warn(&format!("cannot split that command line: {e}"));
            return Ok(None);
        }
    };
    // Prompts and a command's output share the terminal through stderr; stdout stays for data.
    let options = RunOptions { hypothesis: Some(hypothesis.to_string()), echo: Echo::Stderr, ..RunOptions::default() };
    let run = ops::run_command(ctx, dir, &argv, &options)?;
    let outcome = match &run.event.body {
        Body::CommandFinished { exit_code: Some(code), .. } => format!("exited {code}"),
        _ => run.event.body.describe(),
    };
    Ok(Some((line, outcome)))
}

/// With the cause confirmed: do something about it (the runbook's actions first).
fn remedy(ctx: &Context, p: &Prompter, dir: &IncidentDir, hypothesis: &str, guide: Option<&Guide>) -> Result<()> {
    let loaded = ctx.load_dir(dir.clone())?;
    let actions = match (guide, loaded.incident.hypotheses.iter().find(|h| h.id == hypothesis)) {
        (Some(guide), Some(h)) => guide.actions_for(h),
        _ => Vec::new(),
    };
    let mut choices: Vec<String> = actions.iter().map(|(_, label)| label.clone()).collect();
    choices.extend([
        "Run a command".to_string(),
        "Record an action done by hand".to_string(),
        "Nothing yet".to_string(),
    ]);
    loop {
        let picked = p.choose(&format!("{hypothesis} confirmed. What do you do about it?"), &choices, 0)?;
        if let (Some((action, _)), Some(guide)) = (actions.get(picked), guide) {
            // The runbook's own safety: preview, confirmation, verification, rollback.
            match guide.act(ctx, action) {
                Ok(0) => return Ok(()),
                Ok(_) => ctx.out.info("Not run. Choose another way, or nothing yet."),
                Err(e) => {
                    let hint = e.hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default();
                    ctx.out.warn(&format!("{e}{hint}"));
                }
            }
            continue;
        }
        match picked - actions.len() {
            0 => {
                if run_typed_command(ctx, p, dir, hypothesis)?.is_some() {
                    return Ok(());
                }
            }
            1 => {
                let text = p.required("What did you do?")?;
                ops::record(ctx, dir, Body::Action { text, hypothesis: Some(hypothesis.to_string()) }, None)?;
                return Ok(());
            }
            _ => return Ok(()),
        }
    }
}

/// Re-observe after acting: has the service recovered?
fn recovered(ctx: &Context, p: &Prompter, dir: &IncidentDir, guide: Option<&Guide>) -> Result<Step> {
    if let Some(guide) = guide {
        guide.observe(ctx, dir)?;
    }
    p.each_line("Look again: what do you see now? (one per line; Enter when done)", |text| {
        ops::record(ctx, dir, Body::Observation { text }, None).map(drop)
    })?;
    let choices = [
        "Recovered: mark it mitigated and keep watching".to_string(),
        "Recovered for good: resolve the incident".to_string(),
        "Not yet: back to Observe".to_string(),
    ];
    let loaded = ctx.load_dir(dir.clone())?;
    match p.choose("Has the service recovered?", &choices, 0)? {
        0 => {
            ops::set_status(ctx, &loaded, Status::Mitigated, None)?;
            ctx.out.info("Mitigated. When it holds: `incident resolve --summary TEXT`, then `incident postmortem`.");
            Ok(Step::Done)
        }
        1 => {
            let summary = p.text("In a sentence or two: what happened and what fixed it?")?;
            ops::resolve(ctx, &loaded, summary)?;
            ctx.out.info("Resolved. Write it up with `incident postmortem -o postmortem.md`.");
            Ok(Step::Done)
        }
        _ => Ok(Step::Observe),
    }
}

/// What an interrupt at a prompt (Ctrl-C, a hang-up, SIGTERM) says before the walk ends with
/// 130. Everything entered before was already recorded (each answer is fsync'd when given).
const RESUME_MESSAGE: &str = "Interrupted. Everything entered so far is recorded; continue with `incident walk`.";
