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
use crate::model::{Body, CheckRecord, CheckStatus, Event};
use crate::probe::RunOptions;
use crate::runbook::{Runbook, Vars};
use crate::secrets::Masker;

/// How many recent states a row remembers for its history marks.
pub const HISTORY: usize = 20;

/// How to watch.
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
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
}

/// Runs `runbook`'s checks every `interval` until all of them have passed for `until_ok` (or
/// `give_up_after` passed), recording each change of state on `incident` (nothing without
/// one) and handing each round to `show`. Fails only when a run or a record fails; Ctrl-C ends
/// the program as usual.
pub fn watch_checks(
    ctx: &Context,
    incident: Option<&Loaded>,
    runbook: &Runbook,
    vars: &Vars,
    only: &[String],
    options: WatchOptions,
    show: &mut dyn FnMut(&WatchRound) -> Result<()>,
) -> Result<WatchEnd> {
    let watching = Instant::now();
    let mut masker = Masker::from_env(std::env::vars(), []);
    vars.add_secrets(&mut masker);
    let mut watched: Vec<WatchedCheck> = Vec::new();
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
        let left = options.give_up_after.map(|limit| limit.saturating_sub(watching.elapsed()));
        if left.is_some_and(|left| left.is_zero()) {
            let worst = latest_run.iter().min_by_key(|s| s.urgency()).copied().unwrap_or(CheckStatus::Unknown);
            return Ok(WatchEnd::GaveUp(worst));
        }
        // The next run would see the hold through: wait only as long as needed.
        let wait = match all_ok_since {
            Some(since) => options.interval.min(options.until_ok.saturating_sub(since.elapsed())),
            None => options.interval,
        };
        let wait = left.map_or(wait, |left| wait.min(left + started.elapsed()));
        std::thread::sleep(wait.saturating_sub(started.elapsed()));
    }
    Ok(WatchEnd::Held)
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
