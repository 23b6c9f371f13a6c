//! `incident update`: a stakeholder update drafted from the incident's state, edited (in the
//! responder's editor, `--message`, or a pipe), recorded as `update.posted` and sent to the
//! `[[notify]]` webhooks.

use std::io::{IsTerminal as _, Read as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::cli::UpdateArgs;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::ops::{self, MAX_UPDATE_BYTES};
use crate::time;

/// The editor when neither `VISUAL` nor `EDITOR` names one (git's choice too).
const FALLBACK_EDITOR: &str = "vi";

pub fn run(ctx: &Context, args: &UpdateArgs) -> Result<u8> {
    let every = time::parse_duration(&args.next).map_err(|e| Error::usage(format!("--next: {e}")))?;
    if every.is_zero() {
        return Err(Error::usage(format!("--next {}: the next update must come after this one", args.next))
            .with_hint("say when people hear from you next, e.g. --next 30m"));
    }
    let every =
        chrono::Duration::from_std(every).map_err(|_| Error::usage(format!("--next {}: too long", args.next)))?;
    let loaded = ctx.load()?;
    let posted_at = ctx.event_time();
    let next = posted_at + every;
    let draft = || ops::draft_update(&loaded.incident, &loaded.read.events, posted_at, next);

    if args.dry_run {
        let text = args.message.clone().unwrap_or_else(draft);
        if ctx.out.json {
            ctx.out.json_line(&json!({ "text": text, "next_update": time::format_ts(&next), "sent": false }))?;
        } else {
            ctx.out.data(&text)?;
            ctx.out.info("Not sent (--dry-run).");
        }
        return Ok(0);
    }

    let text = if let Some(message) = &args.message {
        message.clone()
    } else if args.yes {
        draft()
    } else if !std::io::stdin().is_terminal() {
        read_stdin()?
    } else {
        // The editor shows the draft on the terminal: recorded text in it must not drive it.
        let edited = edit(&crate::output::sanitize::terminal_safe(&draft(), false))?;
        if edited.trim().is_empty() {
            return Err(Error::runtime("update not sent: the file was left empty")
                .with_hint("to send the draft as it is: `incident update --yes`"));
        }
        edited
    };

    let event = ops::post_update(ctx, &loaded.dir, &text, next)?;
    if ctx.out.json {
        return ctx.out.json_line(&event).map(|()| 0);
    }
    let now = ctx.clock.now();
    ctx.out.info(&format!(
        "Update posted at {} UTC; next update due {} UTC (in {}).",
        time::format_confirmed(&event.ts, now),
        next.format("%H:%M"),
        time::format_minutes(next - now)
    ));
    if loaded.incident.drill {
        ctx.out.info("A drill: the update is recorded, not sent to the webhooks.");
    } else if !ctx.notify.iter().any(|w| w.wants("update.posted")) {
        ctx.out.info(
            "No [[notify]] webhook in incident.toml takes updates: it is recorded, not sent; post it where people read it.",
        );
    }
    Ok(0)
}

/// The text piped in, at most [`MAX_UPDATE_BYTES`] (one more is read to tell it was longer).
fn read_stdin() -> Result<String> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_UPDATE_BYTES + 1).unwrap_or(u64::MAX);
    std::io::stdin()
        .lock()
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::runtime(format!("cannot read the update from standard input: {e}")))?;
    if bytes.len() > MAX_UPDATE_BYTES {
        return Err(ops::update_too_long("standard input holds more"));
    }
    let text =
        String::from_utf8(bytes).map_err(|_| Error::usage("update not sent: standard input is not UTF-8 text"))?;
    if text.trim().is_empty() {
        return Err(Error::usage("update not sent: standard input was empty")
            .with_hint("pipe the text in, or run it on a terminal to edit the draft; --yes sends the draft as it is"));
    }
    Ok(text)
}

/// Opens `draft` in the responder's editor on our terminal and returns what they saved.
///
/// The editor is `VISUAL`, else `EDITOR`, else `vi`, split into words as a shell would (git
/// runs `EDITOR="code --wait"` the same way) and run as argv with the file added last.
fn edit(draft: &str) -> Result<String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let (source, editor) = match (var("VISUAL"), var("EDITOR")) {
        (Some(visual), _) => ("VISUAL", visual),
        (None, Some(editor)) => ("EDITOR", editor),
        (None, None) => ("the default editor", FALLBACK_EDITOR.to_string()),
    };
    let argv = crate::process::split_command_line(&editor)
        .map_err(|why| Error::usage(format!("{source} {editor:?}: {why}")))?;
    let Some((program, rest)) = argv.split_first() else {
        return Err(Error::usage(format!("{source} names no program")));
    };
    let file = DraftFile::create(draft)?;
    let mut command = std::process::Command::new(program);
    command.args(rest).arg(&file.path);
    let outcome = crate::process::run_interactive(&mut command).map_err(|e| {
        Error::runtime(format!("cannot start the editor ({source}): {}", e.message))
            .with_hint("set VISUAL or EDITOR, or post with --message TEXT, --yes, or a pipe")
    })?;
    if !outcome.success() {
        return Err(Error::runtime(format!(
            "update not sent: the editor {program} exited with status {}",
            outcome.shell_status()
        )));
    }
    crate::text_file::read_whole(&file.path).map_err(|e| Error::io("read the edited update", &file.path, &e))
}

/// The draft as a private file for the editor, removed when dropped.
struct DraftFile {
    path: PathBuf,
}

impl DraftFile {
    fn create(text: &str) -> Result<DraftFile> {
        use std::io::Write as _;
        let name = format!("incident-update-{}-{}.txt", std::process::id(), crate::model::new_event_id());
        let path = std::env::temp_dir().join(name);
        let write = |path: &Path| -> std::io::Result<()> {
            let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
            file.write_all(text.as_bytes())?;
            file.write_all(b"\n")
        };
        write(&path).map_err(|e| Error::io("write the draft update to", &path, &e))?;
        Ok(DraftFile { path })
    }
}

impl Drop for DraftFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
