//! The interactive OODA loop: Observe, Orient, Decide, Act, and back to Observe when a
//! hypothesis is refuted. Every answer is recorded through the same operations the
//! non-interactive commands use (`crate::ops`), the moment it is given: an interrupt or a closed
//! terminal loses nothing, and `incident walk` resumes in the phase it left.

mod escape;
mod guide;
mod menu;
mod prompt;
mod vars;

use std::io::IsTerminal;

use crate::context::{Context, Loaded};
use crate::error::{Error, Result};
use crate::model::{Body, Event, HypothesisState, Phase, Status};
use crate::ops::{self, Echo, RunOptions};
use crate::output::Style;
use crate::process;
use crate::store::IncidentDir;
use crate::time;

use guide::Guide;
pub use prompt::Prompter;
pub use vars::ask_vars;

use crate::model::CheckRecord;
use crate::runbook::Suggestion;

/// The generic questions shown in Orient, after a runbook's own (a question the runbook already
/// asks is not repeated).
pub const ORIENTATION_QUESTIONS: &[&str] = &[
    "What changed most recently (deploys, config, credentials, traffic)?",
    "Are we the only ones failing? Is the infrastructure around it up?",
    "Where and what exactly is the failure?",
    "What happened just before it?",
    "What should happen instead, when it works?",
];

/// At most this many Orient questions are shown on a pass: one screen, answered at one prompt.
const MAX_ORIENT_QUESTIONS: usize = 6;

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
    /// A confirmed hypothesis, not yet acted on or dismissed: the walk stays with it.
    Remedy(String),
    /// After acting: has it recovered? (And on resuming a mitigated incident: is it holding?)
    Recovery(Option<String>),
    Done,
}

/// Walks the loop on `dir` until the service has recovered or the person stops.
pub fn run(ctx: &Context, dir: IncidentDir) -> Result<u8> {
    require_terminal("the walk")?;
    let loaded = ctx.load_dir(dir.clone())?;
    let farewell = if loaded.incident.drill { DRILL_RESUME_MESSAGE } else { RESUME_MESSAGE };
    let _farewell = crate::signals::say_on_interrupt(farewell);
    let escape_dir = dir.clone();
    let prompter =
        Prompter::new(ctx.out.colors_stderr()).with_escape(Box::new(move |line| escape::run(ctx, &escape_dir, line)));
    ctx.out.info(&ctx.out.paint_err(Style::Dim, escape::HINT));
    if loaded.incident.status == Status::Resolved {
        ctx.out.info(&format!("{} is resolved. Write it up with `incident postmortem`.", loaded.incident.id));
        return Ok(0);
    }
    // The alerting saw it resolve and the checks agree: say so, the responder decides.
    if let Some(offer) = loaded.incident.mitigation_offer.as_ref().filter(|_| !loaded.incident.status.is_mitigated()) {
        ctx.out.info(offer);
    }
    let guide = Guide::load(ctx, &prompter, &loaded.incident, &dir)?;
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
            Step::Act(_) | Step::Remedy(_) | Step::Recovery(_) => Phase::Act,
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
            Step::Remedy(h) => remedy(ctx, &prompter, &dir, &h, guide.as_ref())?,
            Step::Recovery(h) => recovery(ctx, &prompter, &dir, h.as_deref(), guide.as_ref())?,
            Step::Done => Step::Done,
        };
    }
}

/// The phase the walk last entered, and for Act the hypothesis it was acting on: a confirmed
/// one it stays with until acted on; a mitigated incident resumes at "is it holding?".
fn resume_step(loaded: &Loaded) -> Step {
    if loaded.incident.status == Status::Mitigated {
        return Step::Recovery(None);
    }
    match loaded.incident.phase_entered() {
        None | Some(Phase::Observe) => Step::Observe,
        Some(Phase::Orient) => Step::Orient,
        Some(Phase::Decide) => Step::Decide,
        Some(Phase::Act) => {
            let decided = loaded.read.events.iter().rev().find(|e| matches!(e.body, Body::Decision { .. }));
            let decided = decided.and_then(|e| ops::existing_hypothesis(&loaded.incident, &decided_about(e)?).ok());
            match decided {
                Some(h) if h.state == HypothesisState::Confirmed => Step::Remedy(h.id.clone()),
                Some(h) if h.state == HypothesisState::Open => Step::Act(h.id.clone()),
                _ => Step::Decide,
            }
        }
    }
}

/// What a decision was about, as a reference: by id, or by number when written before ids.
fn decided_about(event: &Event) -> Option<String> {
    let Body::Decision { hypothesis: Some(number), about, .. } = &event.body else { return None };
    Some(about.as_ref().map_or_else(|| number.clone(), |id| ops::item_reference(number, id.as_str())))
}

fn status_line(ctx: &Context, loaded: &Loaded, phase: Phase) {
    let i = &loaded.incident;
    let since = i.clocks.opened.map(|o| time::format_offset(ctx.clock.now() - o)).unwrap_or_default();
    let open: Vec<&str> = i.open_hypotheses().map(|h| h.id.as_str()).collect();
    let open = if open.is_empty() { "none".to_string() } else { open.join(", ") };
    let update = i.update_due(ctx.clock.now()).map(|due| format!(" · {due}")).unwrap_or_default();
    let line = format!(
        "── {} · {} · {} · T{since} · open hypotheses: {open}{update} ── {}",
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
    ask_impact_start(ctx, p, dir)?;
    // A responder answering the walk has taken the incident on: the end of "time to
    // acknowledge", unless `incident ack` said so earlier (then nothing is recorded).
    ops::acknowledge(ctx, &ctx.load_dir(dir.clone())?, Some("walking the incident".into()))?;
    // One prompt for all three: what the responder sees, the log searches and the commands that
    // show it (each recorded), so nobody leaves the walk for a shell to look.
    p.each_line(
        "What do you see? What is up, what is down? One per line; `grep PATTERN FILE...` searches the logs of the \
         last 15 minutes, `!CMD` runs a command, recorded (Enter when done)",
        |line| {
            if let Some(search) = line.strip_prefix("grep ") {
                search_logs(ctx, dir, search)
            } else if let Some(command) = line.strip_prefix('!') {
                run_line(ctx, dir, command, None).map(drop)
            } else {
                ops::record(ctx, dir, Body::Observation { text: line }, None).map(drop)
            }
        },
    )?;
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
    let own = match guide {
        Some(guide) if passes <= 1 => guide.questions(),
        _ => Vec::new(),
    };
    let questions = orient_questions(&own, passes);
    ctx.out.info("Orient before you act:");
    for question in &questions {
        ctx.out.info(&format!("  - {question}"));
    }
    p.each_line("What do the answers tell you? One per line (Enter when done)", |text| {
        ops::record(ctx, dir, Body::Observation { text }, Some(Phase::Orient)).map(drop)
    })?;
    // With hypotheses already open (the checks' suggestions), more can be added from Decide.
    if ctx.load_dir(dir.clone())?.incident.open_hypotheses().next().is_none() {
        p.each_line("What could explain it? One hypothesis per line (Enter when done)", |text| {
            let (id, _) = ops::add_hypothesis(ctx, dir, text, None)?;
            ctx.out.info(&format!("Raised {id}."));
            Ok(())
        })?;
    }
    Ok(Step::Decide)
}

/// The questions of one Orient pass: the runbook's own, then the generic ones it does not
/// already ask, at most one screen of them; on a later pass, the one that looks further away.
fn orient_questions(own: &[String], passes: usize) -> Vec<String> {
    if passes > 1 {
        return vec![FURTHER_AWAY.to_string()];
    }
    // Two questions are the same when their words are, whatever the case and punctuation.
    let words = |q: &str| -> Vec<String> {
        q.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
    };
    let mut questions: Vec<String> = Vec::new();
    for question in own.iter().cloned().chain(ORIENTATION_QUESTIONS.iter().map(|q| q.to_string())) {
        if !questions.iter().any(|q| words(q) == words(&question)) {
            questions.push(question);
        }
    }
    questions.truncate(MAX_ORIENT_QUESTIONS);
    questions
}

/// What the logs said in the last 15 minutes (`grep PATTERN FILE...`): a search recorded on the
/// timeline. A line that cannot be read is explained, never an error that ends the walk.
fn search_logs(ctx: &Context, dir: &IncidentDir, line: &str) -> Result<()> {
    let words = match process::split_command_line(line) {
        Ok(words) if words.len() >= 2 => words,
        Ok(_) => {
            ctx.out.info("Give a pattern and at least one file, glob or folder: grep ERROR /var/log/app/*.log");
            return Ok(());
        }
        Err(e) => {
            ctx.out.warn(&format!("cannot read that: {e}"));
            return Ok(());
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
        // Raising all of them is the common answer, so it is one key away.
        let all = usize::from(open.len() > 1);
        let mut items: Vec<String> = Vec::new();
        if all == 1 {
            items.push(format!("Raise all {} of them", open.len()));
        }
        items.extend(open.iter().map(|s| format!("Raise: {}", s.title)));
        items.push("Done with the suggestions".to_string());
        let picked = p.choose("Raise a suggested hypothesis?", &items, 0)?;
        if all == 1 && picked == 0 {
            for s in std::mem::take(&mut open) {
                raise_suggested(ctx, dir, guide, s, records)?;
            }
            break;
        }
        if picked - all >= open.len() {
            break;
        }
        let s = open.remove(picked - all);
        raise_suggested(ctx, dir, guide, s, records)?;
    }
    Ok(())
}

/// Raises a suggestion as a hypothesis, noting the check whose evidence it was raised on.
fn raise_suggested(
    ctx: &Context,
    dir: &IncidentDir,
    guide: &Guide,
    s: &Suggestion,
    records: &[CheckRecord],
) -> Result<()> {
    let from_check = guide.evidence(s, records).first().and_then(|e| e.split_whitespace().next()).map(String::from);
    let (id, _) = ops::add_hypothesis(ctx, dir, s.title.clone(), from_check)?;
    ctx.out.info(&format!("Raised {id}."));
    Ok(())
}

fn decide(ctx: &Context, p: &Prompter, loaded: &Loaded) -> Result<Step> {
    let open: Vec<_> = loaded.incident.open_hypotheses().collect();
    if open.is_empty() {
        ctx.out.info("There is no open hypothesis to test. Back to Orient: what could explain what you see?");
        return Ok(Step::Orient);
    }
    let chosen = if open.len() == 1 {
        ctx.out.info(&format!("Testing {}, the one open hypothesis: {}", open[0].id, open[0].text));
        open[0]
    } else {
        let mut items: Vec<String> = open.iter().map(|h| format!("{}  {}", h.id, h.text)).collect();
        items.push("Something else: add a hypothesis".to_string());
        let picked = p.choose("Which hypothesis is most probable? Test that one first", &items, 0)?;
        let Some(chosen) = open.get(picked) else {
            let text = p.required("What could explain it?", None)?;
            let (id, _) = ops::add_hypothesis(ctx, &loaded.dir, text, None)?;
            ctx.out.info(&format!("Raised {id}."));
            return Ok(Step::Decide);
        };
        chosen
    };
    // What is on screen already says why: the check it was raised on, or its being the only one.
    let because = match &chosen.from_check {
        Some(check) => format!("the {check} check points to it"),
        None if open.len() == 1 => "the one open hypothesis".to_string(),
        None => "the most probable of the open hypotheses".to_string(),
    };
    // With one open hypothesis there was no choice to explain, and a check's evidence is on
    // screen already: the reason is recorded as is.
    let why = if open.len() == 1 || chosen.from_check.is_some() {
        because
    } else {
        p.required(&format!("Why {}? (what points to it)", chosen.id), Some(&because))?
    };
    let id = chosen.id.clone();
    let text = ops::test_first(chosen);
    let about = Some(chosen.event.clone());
    ops::record(ctx, &loaded.dir, Body::Decision { text, hypothesis: Some(id.clone()), why: Some(why), about }, None)?;
    Ok(Step::Act(id))
}

/// Tests a hypothesis: the runbook's checks run at once (they are read-only), and the verdict
/// is offered with the answer they suggest first; a command or a check by hand otherwise.
fn act(ctx: &Context, p: &Prompter, dir: &IncidentDir, hypothesis: &str, guide: Option<&Guide>) -> Result<Step> {
    let mut evidence: Option<String> = None;
    let mut suggested = None;
    if let Some(guide) = guide {
        ctx.out.info(&format!("Testing {hypothesis}: the runbook's checks again."));
        let (records, suggestions) = guide.observe(ctx, dir)?;
        let seen: Vec<String> = records.iter().map(|r| format!("{} {}", r.check, r.status.as_str())).collect();
        evidence = Some(format!("checks: {}", seen.join(", ")));
        let loaded = ctx.load_dir(dir.clone())?;
        let text = loaded.incident.hypotheses.iter().find(|h| h.id == hypothesis).map(|h| h.text.clone());
        // A hypothesis the runbook suggests: its rule firing again points to confirmed.
        if let Some(text) = text.filter(|t| guide.suggests(t)) {
            suggested = Some(usize::from(!suggestions.iter().any(|s| s.title == text)));
        }
    }
    let mut items = vec![
        format!("Confirmed: {hypothesis} holds"),
        format!("Refuted: {hypothesis} does not hold"),
        "Inconclusive".to_string(),
        "Test it with a command first".to_string(),
        "Record a check done by hand".to_string(),
        "Go back and choose another hypothesis".to_string(),
    ];
    if evidence.is_none() {
        items.drain(0..3);
    }
    let offset = if evidence.is_some() { 0 } else { 3 };
    // Without a rule to go by, testing it comes first, never a verdict.
    let default = suggested.unwrap_or(if evidence.is_some() { 3 } else { 0 });
    let picked = p.choose(&format!("What does it show about {hypothesis}?"), &items, default)? + offset;
    let verdicts = [
        format!("Confirmed: {hypothesis} holds"),
        format!("Refuted: {hypothesis} does not hold"),
        "Inconclusive".to_string(),
    ];
    let (verdict, evidence) = match picked {
        0..=2 => (picked, evidence.unwrap_or_default()),
        3 => {
            let Some((line, outcome)) = run_typed_command(ctx, p, dir, hypothesis)? else {
                return Ok(Step::Act(hypothesis.to_string()));
            };
            let verdict = p.choose(&format!("What did it show about {hypothesis}?"), &verdicts, 0)?;
            let shown = format!("`{line}` {outcome}");
            (verdict, p.required("What showed it?", Some(&shown))?)
        }
        4 => {
            let verdict = p.choose(&format!("What did it show about {hypothesis}?"), &verdicts, 0)?;
            (verdict, p.required("What did you check, and what did it show?", None)?)
        }
        _ => return Ok(Step::Decide),
    };
    let loaded = ctx.load_dir(dir.clone())?;
    match verdict {
        0 => {
            ops::verdict(ctx, &loaded, hypothesis, HypothesisState::Confirmed, evidence)?;
            Ok(Step::Remedy(hypothesis.to_string()))
        }
        1 => {
            ops::verdict(ctx, &loaded, hypothesis, HypothesisState::Refuted, evidence)?;
            if ctx.load_dir(dir.clone())?.incident.open_hypotheses().next().is_some() {
                ctx.out.info(&format!("{hypothesis} refuted. On to the open hypotheses."));
                return Ok(Step::Decide);
            }
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
    let line = p.required("Command (run as typed words, never through a shell; write sh -c '...' for one)", None)?;
    let outcome = run_line(ctx, dir, &line, Some(hypothesis))?;
    Ok(outcome.map(|outcome| (line, outcome)))
}

/// Runs a typed command line on the incident, recorded like `incident run` (argv, exit status,
/// duration, output masked); how it ended, or `None` when the line could not be split.
fn run_line(ctx: &Context, dir: &IncidentDir, line: &str, hypothesis: Option<&str>) -> Result<Option<String>> {
    let argv = match process::split_command_line(line) {
        Ok(argv) if !argv.is_empty() => argv,
        Ok(_) => return Ok(None),
        Err(e) => {
            ctx.out.warn(&format!("cannot split that command line: {e}"));
            return Ok(None);
        }
    };
    // Prompts and a command's output share the terminal through stderr; stdout stays for data.
    let options = RunOptions { hypothesis: hypothesis.map(String::from), echo: Echo::Stderr, ..RunOptions::default() };
    let run = ops::run_command(ctx, dir, &argv, &options)?;
    Ok(Some(match &run.event.body {
        Body::CommandFinished { exit_code: Some(code), .. } => format!("exited {code}"),
        _ => run.event.body.describe(),
    }))
}

/// With the cause confirmed: do something about it (the runbook's actions first). The walk
/// stays here until something is done or the hypothesis is set aside.
fn remedy(ctx: &Context, p: &Prompter, dir: &IncidentDir, hypothesis: &str, guide: Option<&Guide>) -> Result<Step> {
    let loaded = ctx.load_dir(dir.clone())?;
    let actions = match (guide, loaded.incident.hypotheses.iter().find(|h| h.id == hypothesis)) {
        (Some(guide), Some(h)) => guide.actions_for(h),
        _ => Vec::new(),
    };
    let mut choices: Vec<String> = actions.iter().map(|(_, label)| label.clone()).collect();
    choices.extend([
        "Run a command".to_string(),
        "Record an action done by hand".to_string(),
        format!("Set {hypothesis} aside for now: back to Observe"),
    ]);
    loop {
        let picked = p.choose(&format!("{hypothesis} confirmed. What do you do about it?"), &choices, 0)?;
        if let (Some((action, _)), Some(guide)) = (actions.get(picked), guide) {
            // The runbook's own safety: preview, confirmation, verification, rollback.
            match guide.act(ctx, action) {
                Ok(0) => return Ok(Step::Recovery(Some(hypothesis.to_string()))),
                Ok(_) => ctx.out.info("Not run. Choose another way, or set it aside."),
                Err(e) => {
                    let hint = e.hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default();
                    ctx.out.warn(&format!("{e}{hint}"));
                }
            }
            continue;
        }
        match picked - actions.len() {
            0 => {
                let started = std::time::Instant::now();
                if run_typed_command(ctx, p, dir, hypothesis)?.is_some() {
                    if let Some(guide) = guide {
                        guide.acted_at(started);
                    }
                    return Ok(Step::Recovery(Some(hypothesis.to_string())));
                }
            }
            1 => {
                let text = p.required("What did you do?", None)?;
                if let Some(guide) = guide {
                    guide.acting();
                }
                ops::record(
                    ctx,
                    dir,
                    Body::Action { text, hypothesis: Some(hypothesis.to_string()), about: None },
                    None,
                )?;
                return Ok(Step::Recovery(Some(hypothesis.to_string())));
            }
            _ => {
                let text = format!("{hypothesis} confirmed, set aside without acting on it for now");
                ops::record(ctx, dir, Body::Note { text }, Some(Phase::Act))?;
                return Ok(Step::Observe);
            }
        }
    }
}

/// After acting (or on resuming a mitigated incident): the checks again, then has it recovered,
/// is it holding? Marking it mitigated or resolved is confirmed with `y`: it tells people.
fn recovery(
    ctx: &Context,
    p: &Prompter,
    dir: &IncidentDir,
    hypothesis: Option<&str>,
    guide: Option<&Guide>,
) -> Result<Step> {
    let loaded = ctx.load_dir(dir.clone())?;
    let mitigated = loaded.incident.status == Status::Mitigated;
    let mut passing = None;
    if let Some(guide) = guide {
        let (records, _) = guide.observe(ctx, dir)?;
        passing = Some(records.iter().all(|r| r.status == crate::model::CheckStatus::Ok));
    }
    loop {
        let (question, mut choices) = if mitigated {
            ("It is mitigated. Is it holding?".to_string(), vec!["Holding: resolve the incident".to_string()])
        } else {
            (
                "Has the service recovered?".to_string(),
                vec![
                    "Recovered: mark it mitigated and keep watching".to_string(),
                    "Recovered for good: resolve the incident".to_string(),
                ],
            )
        };
        let acted = choices.len();
        choices.push("Not yet: watch longer (the checks until they hold)".to_string());
        if let Some(h) = hypothesis {
            choices.push(format!("Not yet: another action for {h}"));
        }
        choices.push(if mitigated { "Not holding: back to Observe" } else { "Not yet: back to Observe" }.to_string());
        if mitigated {
            choices.push("Leave it mitigated and stop the walk for now".to_string());
        }
        // The checks failing make "watch longer" the answer at hand.
        let default = if passing == Some(false) { acted } else { 0 };
        let picked = p.choose(&question, &choices, default)?;
        let loaded = ctx.load_dir(dir.clone())?;
        let again = Step::Recovery(hypothesis.map(String::from));
        return match (picked, mitigated) {
            (0, false) => {
                if !p.confirm("Mark it mitigated? (people watching the incident are told)")? {
                    return Ok(again);
                }
                ask_impact_end(ctx, p, dir)?;
                ops::set_status(ctx, &loaded, Status::Mitigated, None)?;
                ctx.out.info("Mitigated. When it holds, `incident walk` again offers to resolve it.");
                Ok(Step::Done)
            }
            (0, true) | (1, false) => {
                if !p.confirm("Resolve the incident? (people watching the incident are told)")? {
                    return Ok(again);
                }
                let fixed = hypothesis
                    .and_then(|h| loaded.incident.hypotheses.iter().find(|x| x.id == h))
                    .map(|h| format!("{}; acted on it", h.text));
                ask_impact_end(ctx, p, dir)?;
                let summary = p.required("In a sentence or two: what happened and what fixed it?", fixed.as_deref())?;
                ops::resolve(ctx, &loaded, Some(summary))?;
                ctx.out.info("Resolved. Write it up with `incident postmortem -o postmortem.md`.");
                Ok(Step::Done)
            }
            (n, _) if n == acted => {
                // Without a runbook there is nothing to watch: the question again.
                let Some(guide) = guide else { return Ok(again) };
                passing = Some(watch_longer(ctx, p, dir, guide)?);
                continue;
            }
            (n, _) if hypothesis.is_some() && n == acted + 1 => Ok(Step::Remedy(hypothesis.unwrap_or_default().into())),
            (n, true) if n == choices.len() - 1 => Ok(Step::Done),
            _ => Ok(Step::Observe),
        };
    }
}

/// How long the checks must keep passing when the responder watches for recovery.
const DEFAULT_HOLD: &str = "1m";

/// Asks how long the checks must hold, watches them, says how it ended; whether they held.
fn watch_longer(ctx: &Context, p: &Prompter, dir: &IncidentDir, guide: &Guide) -> Result<bool> {
    let hold = loop {
        let answer = p.required("Watch until every check has passed for how long?", Some(DEFAULT_HOLD))?;
        match time::parse_duration(&answer) {
            Ok(hold) if !hold.is_zero() => break hold,
            Ok(_) => ctx.out.warn("a hold must be longer than zero"),
            Err(e) => ctx.out.warn(&format!("{e}")),
        }
    };
    let shown = crate::expr::show_duration(hold);
    Ok(match guide.watch(ctx, dir, hold)? {
        ops::WatchEnd::Held => {
            ctx.out.info(&format!("Every check has passed for {shown}: holding."));
            true
        }
        ops::WatchEnd::GaveUp(worst) => {
            ctx.out.info(&format!("Gave up watching: not all checks passed for {shown} (worst: {}).", worst.as_str()));
            false
        }
        ops::WatchEnd::Stopped(worst) => {
            ctx.out.info(&format!("Stopped watching (worst state on the last run: {}).", worst.as_str()));
            worst == crate::model::CheckStatus::Ok
        }
    })
}

/// Once per incident, when nobody said yet: when did users start to feel it? The default is
/// the first failing check on the timeline (an alert's start is recorded at opening already).
fn ask_impact_start(ctx: &Context, p: &Prompter, dir: &IncidentDir) -> Result<()> {
    let loaded = ctx.load_dir(dir.clone())?;
    if loaded.incident.clocks.impact_start.is_some() {
        return Ok(());
    }
    let first_failing = loaded.read.events.iter().find_map(|e| match &e.body {
        Body::CheckResult(r) if r.status != crate::model::CheckStatus::Ok => Some(e.ts),
        _ => None,
    });
    let default = first_failing.or(loaded.incident.clocks.opened).unwrap_or_else(|| ctx.clock.now());
    let start = ask_time(ctx, p, "When did the impact start? (the post-mortem's clocks start here)", default)?;
    let body = Body::ImpactRecorded {
        start: Some(start),
        end: None,
        detected_at: None,
        users: None,
        summary: None,
        details: Default::default(),
    };
    ops::record(ctx, dir, body, None).map(drop)
}

/// On recovery, when nobody said yet: when did the impact end? The default is now, when the
/// checks were seen passing.
fn ask_impact_end(ctx: &Context, p: &Prompter, dir: &IncidentDir) -> Result<()> {
    let loaded = ctx.load_dir(dir.clone())?;
    if loaded.incident.clocks.impact_end.is_some() {
        return Ok(());
    }
    let end = ask_time(ctx, p, "When did the impact end?", ctx.clock.now())?;
    let body = Body::ImpactRecorded {
        start: None,
        end: Some(end),
        detected_at: None,
        users: None,
        summary: None,
        details: Default::default(),
    };
    ops::record(ctx, dir, body, None).map(drop)
}

/// A time, `default` on Enter; read like `--at` (`14:05`, `5m ago`, a date and time).
fn ask_time(
    ctx: &Context,
    p: &Prompter,
    question: &str,
    default: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>> {
    let shown = time::format_ts(&default);
    loop {
        let answer = p.required(question, Some(&shown))?;
        if answer == shown {
            return Ok(default);
        }
        match ctx.parse_time_arg("the time", &answer) {
            Ok(at) => return Ok(at),
            Err(e) => ctx.out.warn(&format!("{e}{}", e.hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())),
        }
    }
}

/// What an interrupt at a prompt (Ctrl-C, a hang-up, SIGTERM) says before the walk ends with
/// 130. Everything entered before was already recorded (each answer is fsync'd when given).
const RESUME_MESSAGE: &str = "Interrupted. Everything entered so far is recorded; continue with `incident walk`.";

/// The same for a drill, which can also be ended.
const DRILL_RESUME_MESSAGE: &str = "Interrupted. The drill is paused, everything entered is recorded: `incident walk` \
     resumes it with its simulated service brought back; `incident drill --abandon` ends it.";
