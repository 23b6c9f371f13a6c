//! Watching for recovery: a runbook's checks run again and again until they have all passed for
//! a while. Only a check's changes of state are recorded (the first run's states included), not
//! every run, so a long watch does not bury the timeline. `incident check --watch` and the
//! walk's recovery step both call [`watch_checks`]; what is shown each round is the caller's.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::checks::{Progress, record, run_in_waves};
use crate::context::{Context, Loaded};
use crate::error::Result;
use crate::expr::show_duration;
use crate::model::{Body, CheckRecord, CheckStatus, Event};
use crate::output::{Style, render_table, table};
use crate::probe::RunOptions;
use crate::runbook::{Runbook, Vars};
use crate::secrets::Masker;

/// How many recent states a row remembers for its history marks.
pub const HISTORY: usize = 20;

/// How to watch.
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions<'a> {
    /// From the start of one run to the start of the next.
    pub interval: Duration,
    /// How long every check must keep passing before the watch ends.
    pub until_ok: Duration,
    pub run: RunOptions,
    /// Stop watching after this long even if the checks never held.
    pub give_up_after: Option<Duration>,
    /// Log checks count only records from this moment (the last action), so errors logged
    /// before a fix do not keep them failing after it.
    pub logs_since: Option<DateTime<Utc>>,
    /// States the timeline holds already (the walk's run before its question): a check still in
    /// its known state is not recorded again, only what changes during the watch is.
    pub known: &'a [CheckRecord],
}

/// One check as watched: its latest result and its recent states, oldest first.
#[derive(Debug, Clone)]
pub struct WatchedCheck {
    pub latest: CheckRecord,
    pub history: VecDeque<CheckStatus>,
}

/// What one round of the watch found, for the caller to show.
pub struct WatchRound<'a> {
    pub number: usize,
    pub checks: &'a [WatchedCheck],
    /// The results whose state differs from the check's previous one (all of them at first).
    pub changes: &'a [CheckRecord],
    /// How long every check has been passing, when they all are.
    pub all_ok_for: Option<Duration>,
}

/// How a watch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchEnd {
    /// Every check passed for the whole `until_ok` (or there were none to run).
    Held,
    /// `give_up_after` passed first; the worst state of the last run.
    GaveUp(CheckStatus),
    /// The responder asked it to stop (the walk's Ctrl-C); the worst state of the last run.
    Stopped(CheckStatus),
}

/// Runs `runbook`'s checks every `interval` until all of them have passed for `until_ok` (or
/// `give_up_after` passed), recording each change of state on `incident` (nothing without
/// one) and handing each round to `show`. Between runs it asks `stop` whether to end early
/// (the walk goes back to its question); fails only when a run or a record fails.
#[allow(clippy::too_many_arguments)]
pub fn watch_checks(
    ctx: &Context,
    incident: Option<&Loaded>,
    runbook: &Runbook,
    vars: &Vars,
    only: &[String],
    options: WatchOptions,
    show: &mut dyn FnMut(&WatchRound) -> Result<()>,
    stop: &dyn Fn() -> bool,
) -> Result<WatchEnd> {
    let watching = Instant::now();
    let mut masker = Masker::from_env(std::env::vars(), []);
    vars.add_secrets(&mut masker);
    let mut watched: Vec<WatchedCheck> =
        options.known.iter().map(|r| WatchedCheck { latest: r.clone(), history: VecDeque::new() }).collect();
    let mut all_ok_since: Option<Instant> = None;
    for number in 1.. {
        let started = Instant::now();
        // Never zero: the search window would be empty even for a record logged just now.
        let log_window = options
            .logs_since
            .map(|since| (Utc::now() - since).to_std().unwrap_or_default().max(Duration::from_secs(1)));
        let run = RunOptions { deadline: options.run.deadline.saturating_sub(started.elapsed()), ..options.run };
        let outcomes = run_in_waves(ctx, runbook, vars, only, log_window, masker.clone(), run, Progress::Silent)?;
        let changed: Vec<_> = outcomes
            .into_iter()
            .filter(|(record, _)| {
                let before = watched.iter().find(|w| w.latest.check == record.check).map(|w| w.latest.status);
                before != Some(record.status)
            })
            .collect();
        // Unchanged results are not recorded, so their evidence is not kept either.
        let changes = record(ctx, incident, changed, Progress::Silent)?;
        for change in &changes {
            if !watched.iter().any(|w| w.latest.check == change.check) {
                watched.push(WatchedCheck { latest: change.clone(), history: VecDeque::new() });
            }
        }
        let latest_run = latest_statuses(&mut watched, &changes);
        let all_ok = !watched.is_empty() && latest_run.iter().all(|s| *s == CheckStatus::Ok);
        all_ok_since = if all_ok { all_ok_since.or(Some(started)) } else { None };
        let all_ok_for = all_ok_since.map(|since| since.elapsed());
        show(&WatchRound { number, checks: &watched, changes: &changes, all_ok_for })?;
        if all_ok_for.is_some_and(|held| held >= options.until_ok) || watched.is_empty() {
            return Ok(WatchEnd::Held);
        }
        let worst = latest_run.iter().min_by_key(|s| s.urgency()).copied().unwrap_or(CheckStatus::Unknown);
        let left = options.give_up_after.map(|limit| limit.saturating_sub(watching.elapsed()));
        if left.is_some_and(|left| left.is_zero()) {
            return Ok(WatchEnd::GaveUp(worst));
        }
        // The next run would see the hold through: wait only as long as needed.
        let wait = match all_ok_since {
            Some(since) => options.interval.min(options.until_ok.saturating_sub(since.elapsed())),
            None => options.interval,
        };
        let wait = left.map_or(wait, |left| wait.min(left + started.elapsed()));
        let next_run = started + wait;
        while let Some(pause) = next_run.checked_duration_since(Instant::now()).filter(|p| !p.is_zero()) {
            if stop() {
                return Ok(WatchEnd::Stopped(worst));
            }
            std::thread::sleep(pause.min(STOP_POLL));
        }
        if stop() {
            return Ok(WatchEnd::Stopped(worst));
        }
    }
    Ok(WatchEnd::Held)
}

/// How often a pause between runs asks whether to stop.
const STOP_POLL: Duration = Duration::from_millis(100);

/// How a watch is shown, the same for `check --watch` and the walk: on a terminal a live table
/// (one row per check with its recent states) redrawn in place, else one line per change.
pub struct WatchDisplay {
    live: bool,
    drawn: usize,
    until_ok: Duration,
    interval: Duration,
    /// How to stop, said under the table: "Ctrl-C stops", "Ctrl-C goes back to the question".
    stop_hint: &'static str,
}

impl WatchDisplay {
    pub fn new(ctx: &Context, options: &WatchOptions, stop_hint: &'static str) -> Self {
        WatchDisplay {
            live: ctx.out.stdout_is_terminal && !ctx.out.json,
            drawn: 0,
            until_ok: options.until_ok,
            interval: options.interval,
            stop_hint,
        }
    }

    /// Shows one round: the table redrawn, or the round's changes as lines.
    pub fn show(&mut self, ctx: &Context, round: &WatchRound) -> Result<()> {
        if self.live {
            let frame = self.frame(ctx, round);
            ctx.out.redraw(self.drawn, &frame)?;
            self.drawn = frame.lines().count();
            Ok(())
        } else {
            change_lines(ctx, round)
        }
    }

    /// Ends the display: the cursor is shown again after a live table.
    pub fn end(&self, ctx: &Context) -> Result<()> {
        if self.live { ctx.out.end_live() } else { Ok(()) }
    }

    /// The table as it stands after a round, and a line saying how far along the hold is.
    fn frame(&self, ctx: &Context, round: &WatchRound) -> String {
        // Rows never wrap: a wrapped row would throw off the count of lines to redraw.
        let mut t = table(&["STATE", "CHECK", "OBSERVED", "HISTORY"], false);
        for w in round.checks {
            t.add_row([
                w.latest.status.as_str().to_ascii_uppercase(),
                w.latest.check.clone(),
                observed(&w.latest).chars().take(OBSERVED_CHARS).collect(),
                history(w),
            ]);
        }
        let progress = match round.all_ok_for {
            Some(held) => format!("All ok for {} of {}", show_duration(held), show_duration(self.until_ok)),
            None => "Not all ok yet".to_string(),
        };
        let status = format!(
            "Run {}; {progress}; next run in {}; {}.",
            round.number,
            show_duration(self.interval),
            self.stop_hint
        );
        format!("{}\n{}", render_table(&t).trim_end(), ctx.out.paint(Style::Dim, &status))
    }
}

/// How much of an observation a live row shows (the record keeps it whole).
const OBSERVED_CHARS: usize = 60;

/// One mark per recent run, oldest first: `✓` ok, `!` warning, `✗` critical, `?` unknown.
fn history(w: &WatchedCheck) -> String {
    w.history
        .iter()
        .map(|s| match s {
            CheckStatus::Ok => '✓',
            CheckStatus::Warning => '!',
            CheckStatus::Critical => '✗',
            CheckStatus::Unknown => '?',
        })
        .collect()
}

fn observed(r: &CheckRecord) -> String {
    if r.summary.is_empty() { r.reason.clone() } else { format!("{} [{}]", r.summary, r.reason) }
}

/// Off a terminal: one line per change of state, stamped with the time it was seen.
fn change_lines(ctx: &Context, round: &WatchRound) -> Result<()> {
    for change in round.changes {
        if ctx.out.json {
            ctx.out.json_line(change)?;
        } else {
            ctx.out.data(&format!(
                "{} {} {} {}",
                ctx.clock.now().format("%H:%M:%S"),
                ctx.out.status_mark(change.status, false),
                change.check,
                observed(change)
            ))?;
        }
    }
    Ok(())
}

/// Updates each row with this run's result (changed ones replace the latest, unchanged ones
/// repeat their state) and returns the states of the run.
fn latest_statuses(watched: &mut [WatchedCheck], changes: &[CheckRecord]) -> Vec<CheckStatus> {
    watched
        .iter_mut()
        .map(|w| {
            if let Some(change) = changes.iter().find(|c| c.check == w.latest.check) {
                w.latest = change.clone();
            }
            w.history.push_back(w.latest.status);
            if w.history.len() > HISTORY {
                w.history.pop_front();
            }
            w.latest.status
        })
        .collect()
}

/// When the last action was taken on the incident (a `Did:` or a command run), if any.
pub fn last_action_at(events: &[Event]) -> Option<DateTime<Utc>> {
    events.iter().filter(|e| matches!(e.body, Body::Action { .. } | Body::CommandFinished { .. })).map(|e| e.ts).max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::checks::narrow_log_window;
    use crate::probe::Probe;

    fn log_probe(since: Option<Duration>) -> Probe {
        Probe::Log {
            paths: vec!["app.log".into()],
            pattern: "ERROR".into(),
            ignore_case: false,
            since,
            remote: None,
            filters: Default::default(),
        }
    }

    fn since_of(probe: &Probe) -> Option<Duration> {
        match probe {
            Probe::Log { since, .. } => *since,
            _ => None,
        }
    }

    #[test]
    fn a_log_window_reaching_before_the_action_is_cut_at_the_action() {
        let mut probe = log_probe(Some(Duration::from_secs(600)));
        narrow_log_window(&mut probe, Duration::from_secs(90));
        assert_eq!(since_of(&probe), Some(Duration::from_secs(90)));
    }

    #[test]
    fn a_log_window_shorter_than_the_time_since_the_action_is_kept() {
        let mut probe = log_probe(Some(Duration::from_secs(60)));
        narrow_log_window(&mut probe, Duration::from_secs(900));
        assert_eq!(since_of(&probe), Some(Duration::from_secs(60)));
    }

    #[test]
    fn a_log_check_over_whole_files_counts_from_the_action() {
        let mut probe = log_probe(None);
        narrow_log_window(&mut probe, Duration::from_secs(30));
        assert_eq!(since_of(&probe), Some(Duration::from_secs(30)));
    }
}
