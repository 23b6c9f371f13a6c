//! The validated configuration every command runs with, and the one way events are recorded.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, Utc};

use crate::cli::GlobalArgs;
use crate::error::{Error, Result};
use crate::model::{Body, Event, Incident, Phase};
use crate::output::Output;
use crate::store::{IncidentDir, Repair, Store, TimelineRead};
use crate::time::{self, Clock};

/// The configuration file looked for from the current directory upwards.
pub const CONFIG_FILE: &str = "incident.toml";

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

/// `[sync]` in `incident.toml`: the store is a git repository shared through `remote`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// The git remote (`incident sync` makes the store a repository with it on first use).
    pub remote: Option<String>,
    /// How long a fetch or push may take before it is stopped (`30s`, `2m`).
    pub timeout: Option<String>,
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
        let no_color = env("NO_COLOR").is_some();
        let out = Output::new(global.json, global.color, global.quiet, global.verbose, no_color);
        let clock = Clock::new(env("INCIDENT_NOW").as_deref())?;
        let now = clock.now();
        let at = match &global.at {
            None => None,
            Some(text) => {
                let at = time::parse_event_time(text, now).map_err(|e| Error::usage(format!("--at: {e}")))?;
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
            None => Err(Error::runtime(format!("no current incident in {}", self.store.root().display())).with_hint(
                "open one with `incident open TITLE -s sev2`, or pick one with `incident use ID` or `-i ID` (see `incident list`)",
            )),
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

    /// What follows every durable record: webhooks are told (see `notify`). Called by
    /// `append`, `append_with` and `ops::open` (whose first event creates the timeline), and
    /// only once the events are on disk; it never fails the command.
    pub fn after_recorded(&self, dir: &IncidentDir, events: &[Event]) {
        crate::notify::after_recorded(self, dir, events);
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
        self.out.info(&format!("Recorded at {} UTC{offset}: {}", event.ts.format("%H:%M:%S"), event.body.describe()));
        Ok(())
    }
}

/// Event ids: ULIDs, monotonic within this process so that one command's events sort in order.
pub fn new_event_id() -> String {
    static GENERATOR: OnceLock<Mutex<ulid::Generator>> = OnceLock::new();
    let generator = GENERATOR.get_or_init(|| Mutex::new(ulid::Generator::new()));
    let mut generator = generator.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    generator.generate().unwrap_or_else(|_| ulid::Ulid::generate()).to_string()
}

/// `git config user.name`, if git answers within a second (it never should take longer; if it
/// does, the author falls back to `$USER` rather than holding a responder up).
fn git_user_name() -> Option<String> {
    let mut child = std::process::Command::new("git")
        .args(["config", "user.name"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(_)) | Err(_) => return None,
            Ok(None) if std::time::Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(5)),
        }
    }
    let mut name = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take()?, &mut name).ok()?;
    let name = name.trim().to_string();
    (!name.is_empty()).then_some(name)
}

/// The store named by the nearest `incident.toml` (with its sync settings), else the platform
/// data directory.
fn default_store_dir() -> Result<(PathBuf, SyncConfig, Vec<crate::notify::Webhook>)> {
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            let config = dir.join(CONFIG_FILE);
            if config.is_file() {
                if let Config { store: Some(store), sync, notify } = read_config(&config)? {
                    let mut sync = sync.unwrap_or_default();
                    // A remote given as a relative path means relative to this file, as the
                    // store does (git would take it relative to the store).
                    if let Some(remote) = &sync.remote
                        && (remote.starts_with("./") || remote.starts_with("../"))
                    {
                        sync.remote = Some(dir.join(remote).to_string_lossy().into_owned());
                    }
                    return Ok((dir.join(store), sync, notify));
                }
                break;
            }
        }
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

#[derive(serde::Deserialize)]
struct Config {
    store: Option<PathBuf>,
    sync: Option<SyncConfig>,
    #[serde(default)]
    notify: Vec<crate::notify::Webhook>,
}

fn read_config(path: &Path) -> Result<Config> {
    let text = crate::text_file::read_whole(path).map_err(|e| Error::io("cannot read", path, &e))?;
    let config: Config = toml::from_str(&text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|span| {
                let before = &text[..span.start.min(text.len())];
                (before.matches('\n').count() + 1, before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1)
            })
            .unwrap_or((1, 1));
        Error::runtime(format!("{}:{line}:{column}: {}", path.display(), e.message()))
    })?;
    crate::notify::validate(&config.notify).map_err(|e| Error::runtime(format!("{}: {e}", path.display())))?;
    Ok(config)
}

impl Context {
    /// Parses a time given to `flag`, relative to now; a usage error names the flag.
    pub fn parse_time_arg(&self, flag: &str, text: &str) -> Result<DateTime<Utc>> {
        time::parse_event_time(text, self.clock.now()).map_err(|e| Error::usage(format!("{flag}: {e}")))
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
