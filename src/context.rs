//! The validated configuration every command runs with, and the one way events are recorded.

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};

use crate::cli::GlobalArgs;
use crate::config::{ConfigFile, SyncConfig};
use crate::error::{Error, Result};
use crate::model::{Body, Event, Incident, Phase, new_event_id};
use crate::output::Output;
use crate::store::{IncidentDir, Repair, Store, TimelineRead};
use crate::time::{self, Clock};

/// Tolerance for `--at` a little ahead of this machine's clock (another responder's clock skew).
const FUTURE_TOLERANCE_SECS: i64 = 60;

pub struct Context {
    pub store: Store,
    pub clock: Clock,
    pub out: Output,
    /// `--at`, already parsed and checked.
    pub at: Option<DateTime<Utc>>,
    incident_arg: Option<String>,
    author: OnceLock<String>,
    /// The `[sync]` section of the `incident.toml` that named the store (none for a store given
    /// by `--store` or `INCIDENT_STORE`: that file's remote is for its own store).
    pub sync: SyncConfig,
    /// The `[[notify]]` webhooks of the same `incident.toml` (none for a store given by
    /// `--store` or `INCIDENT_STORE`, for the same reason).
    pub notify: Vec<crate::notify::Webhook>,
}

/// An incident read and folded.
pub struct Loaded {
    pub dir: IncidentDir,
    pub read: TimelineRead,
    pub incident: Incident,
}

impl Context {
    pub fn from_args(global: &GlobalArgs) -> Result<Self> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let out = Output::new(global.json, global.color, global.quiet, global.verbose);
        let clock = Clock::new(env("INCIDENT_NOW").as_deref())?;
        let now = clock.now();
        let at = match &global.at {
            None => None,
            Some(text) => {
                let at = time::parse_event_time(text, now).map_err(|e| Error::usage(format!("--at: {e}")))?;
                if let Some(note) = time::zone_note("--at", text, &at) {
                    out.info(&note);
                }
                if (at - now).num_seconds() > FUTURE_TOLERANCE_SECS {
                    return Err(Error::usage(format!("--at {text} is in the future ({})", time::format_ts(&at)))
                        .with_hint(
                            "--at says when something already happened; use a past time such as -10m or 14:05",
                        ));
                }
                Some(at)
            }
        };
        let (store_dir, sync, notify) = match &global.store {
            Some(dir) => (dir.clone(), SyncConfig::default(), Vec::new()),
            None => default_store_dir()?,
        };
        Ok(Context {
            store: Store::new(store_dir),
            clock,
            out,
            at,
            incident_arg: global.incident.clone().filter(|s| !s.is_empty()),
            author: OnceLock::new(),
            sync,
            notify,
        })
    }

    /// Who is recording: `INCIDENT_AUTHOR`, else `git config user.name`, else `$USER`.
    pub fn author(&self) -> &str {
        self.author.get_or_init(|| {
            let env = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
            env("INCIDENT_AUTHOR")
                .or_else(git_user_name)
                .or_else(|| env("USER"))
                .or_else(|| env("USERNAME"))
                .unwrap_or_else(|| "unknown".to_string())
        })
    }

    /// When an event recorded now happened: `--at`, else now.
    pub fn event_time(&self) -> DateTime<Utc> {
        self.at.unwrap_or_else(|| self.clock.now())
    }

    /// The incident the command acts on: `-i`/`INCIDENT_ID`, else the current one.
    pub fn incident_dir(&self) -> Result<IncidentDir> {
        if let Some(text) = &self.incident_arg {
            return self.store.find(text);
        }
        match self.store.current()? {
            Some(dir) => Ok(dir),
            None => Err(Error::no_current_incident(self.store.root())),
        }
    }

    /// Reads and folds the incident, warning about damage found on the way.
    pub fn load(&self) -> Result<Loaded> {
        let dir = self.incident_dir()?;
        self.load_dir(dir)
    }

    /// The incident to record on and when it was opened, reading only the first line.
    pub fn load_for_recording(&self) -> Result<(IncidentDir, DateTime<Utc>)> {
        let dir = self.incident_dir()?;
        match dir.timeline().first_event()? {
            Some(Event { ts, body: Body::Opened { .. }, .. }) => Ok((dir, ts)),
            // Let the full read explain what is wrong with the file.
            _ => self.load_dir(dir).map(|loaded| (loaded.dir, loaded.incident.clocks.opened.unwrap_or_default())),
        }
    }

    pub fn load_dir(&self, dir: IncidentDir) -> Result<Loaded> {
        let read = dir.timeline().read()?;
        self.warn_about_damage(&dir, &read);
        let incident = Incident::from_events(dir.id.as_str(), &read.events).ok_or_else(|| {
            Error::runtime(format!("{} holds no readable event", dir.timeline().path().display()))
                .with_hint("run `incident timeline --verify` to see what is wrong with it")
        })?;
        Ok(Loaded { dir, read, incident })
    }

    pub fn warn_about_damage(&self, dir: &IncidentDir, read: &TimelineRead) {
        let path = dir.timeline().path().display().to_string();
        for damaged in &read.damaged {
            self.out.warn(&format!("{path}:{}: damaged line skipped: {}", damaged.line, damaged.reason));
        }
        if let Some(torn) = &read.torn {
            self.out.warn(&format!(
                "{path}:{}: the last line is incomplete ({} bytes, a write cut short); it will be moved aside on the next write",
                torn.line, torn.bytes
            ));
        }
    }

    /// A new event authored now, at `--at` if given, in the kind's phase unless `phase` says otherwise.
    pub fn new_event(&self, body: Body, phase: Option<Phase>) -> Event {
        let body = mask_typed_text(body);
        let ts = self.event_time();
        let recorded = self.clock.now();
        Event {
            id: new_event_id(),
            ts,
            recorded: (recorded != ts).then_some(recorded),
            author: self.author().to_string(),
            phase: phase.or_else(|| body.default_phase()),
            body,
        }
    }

    /// Appends events to an incident and reports any repair the store made first.
    pub fn append(&self, dir: &IncidentDir, events: &[Event]) -> Result<()> {
        self.warn_if_behind_the_store(dir);
        let appended = dir.timeline().append(events)?;
        self.report_repair(dir, appended.repair);
        self.after_recorded(dir, events);
        Ok(())
    }

    /// Appends the events `build` makes from the timeline as it stands under the write lock.
    pub fn append_with(
        &self,
        dir: &IncidentDir,
        build: impl FnOnce(&TimelineRead) -> Result<Vec<Event>>,
    ) -> Result<()> {
        self.warn_if_behind_the_store(dir);
        let mut built = Vec::new();
        let appended = dir.timeline().append_with(|current| {
            let events = build(current)?;
            built.clone_from(&events);
            Ok(events)
        })?;
        self.report_repair(dir, appended.repair);
        self.after_recorded(dir, &built);
        Ok(())
    }

    /// Warns when the incident's newest event is dated ahead of this clock beyond the tolerance
    /// sync uses: this clock is slow or its author's is fast, and an event recorded here would
    /// be ordered before it (a status set here outvoted by an older one). Reads only the last line.
    fn warn_if_behind_the_store(&self, dir: &IncidentDir) {
        let Ok(Some(newest)) = dir.timeline().last_event() else { return };
        let ahead = newest.latest_time() - self.clock.now();
        if ahead > time::CLOCK_TOLERANCE {
            self.out.warn(&format!(
                "{}: its newest event (by {}) is dated {} ahead of this clock: this clock is slow or theirs is fast; check both (what you record now is ordered before it)",
                dir.id,
                newest.author,
                time::format_duration(ahead)
            ));
        }
    }

    /// What follows every durable record: webhooks are told (see `notify`). Called by
    /// `append`, `append_with` and `ops::open` (whose first event creates the timeline), and
    /// only once the events are on disk; it never fails the command.
    pub fn after_recorded(&self, dir: &IncidentDir, events: &[Event]) {
        crate::notify::after_recorded(&self.notifier(), dir, events);
    }

    /// What `notify` needs of this context to queue and send.
    pub fn notifier(&self) -> crate::notify::Notifier<'_> {
        crate::notify::Notifier {
            store: &self.store,
            clock: &self.clock,
            author: self.author(),
            webhooks: &self.notify,
            out: &self.out,
        }
    }

    fn report_repair(&self, dir: &IncidentDir, repair: Option<Repair>) {
        match repair {
            None => {}
            Some(Repair::Terminated) => self
                .out
                .warn(&format!("{}: the last line had lost its newline; restored it", dir.timeline().path().display())),
            Some(Repair::SetAside { path, bytes }) => self.out.warn(&format!(
                "{}: an incomplete last line ({bytes} bytes) was moved aside to {} before writing",
                dir.timeline().path().display(),
                path.display()
            )),
        }
    }

    /// Tells the person what was recorded (stderr), or prints the event (`--json`).
    pub fn report_recorded(&self, event: &Event, incident_opened: Option<DateTime<Utc>>) -> Result<()> {
        if self.out.json {
            return self.out.json_line(event);
        }
        let offset = incident_opened.map(|o| format!(" T{}", time::format_offset(event.ts - o))).unwrap_or_default();
        let when = time::format_confirmed(&event.ts, self.clock.now());
        self.out.info(&format!("Recorded at {when} UTC{offset}: {}", event.body.describe()));
        Ok(())
    }
}

/// `git config user.name`, if git answers within a second (it never should take longer; if it
/// does, the author falls back to `$USER` rather than holding a responder up).
fn git_user_name() -> Option<String> {
    let mut command = std::process::Command::new("git");
    command.args(["config", "user.name"]);
    let captured = crate::process::capture(&mut command, std::time::Duration::from_secs(1), 4096).ok()?;
    let name = String::from_utf8_lossy(&captured.stdout).trim().to_string();
    (captured.outcome.success() && !name.is_empty()).then_some(name)
}

/// The store named by the nearest `incident.toml` (with its sync settings and webhooks), else
/// the platform data directory.
fn default_store_dir() -> Result<(PathBuf, SyncConfig, Vec<crate::notify::Webhook>)> {
    if let Some(named) = ConfigFile::nearest()?.and_then(ConfigFile::store) {
        return Ok(named);
    }
    let data_home = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".local/share")));
    match data_home {
        Some(dir) => Ok((dir.join("incident"), SyncConfig::default(), Vec::new())),
        None => Err(Error::usage("cannot tell where to keep incidents: HOME and XDG_DATA_HOME are unset")
            .with_hint("say where with --store DIR or INCIDENT_STORE")),
    }
}

impl Context {
    /// Parses a time given to `flag`, relative to now; a usage error names the flag.
    /// A time read in the local zone is said to be (on stderr), with what it is in UTC.
    pub fn parse_time_arg(&self, flag: &str, text: &str) -> Result<DateTime<Utc>> {
        let t = time::parse_event_time(text, self.clock.now()).map_err(|e| Error::usage(format!("{flag}: {e}")))?;
        if let Some(note) = time::zone_note(flag, text, &t) {
            self.out.info(&note);
        }
        Ok(t)
    }
}

/// Text a responder typed, trimmed; empty text is a usage error naming what was expected.
pub fn required_text(what: &str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(
            Error::usage(format!("{what} is empty")).with_hint("say it in a few words; quote it if it has spaces")
        );
    }
    Ok(text.to_string())
}

/// The body with every known secret value and token shape masked in its text: a responder who
/// pastes a token into a note must not put it in the timeline (and every synced clone).
fn mask_typed_text(body: Body) -> Body {
    let masker = crate::secrets::Masker::from_env(std::env::vars(), []);
    let Ok(mut value) = serde_json::to_value(&body) else { return body };
    crate::secrets::mask_json_strings(&mut value, &masker);
    serde_json::from_value(value).unwrap_or(body)
}
