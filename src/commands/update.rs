//! `incident update`: a stakeholder update drafted from the incident's state, edited (in the
//! responder's editor, `--message`, or a pipe), recorded as `update.posted` and sent to the
//! `[[notify]]` webhooks.

use std::io::{IsTerminal as _, Read as _};

use serde_json::json;

use crate::cli::UpdateArgs;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::ops::{self, MAX_UPDATE_BYTES};
use crate::time;

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
        // `echo TEXT | incident update --yes` means that text: never drop it for the draft.
        piped_text()?.unwrap_or_else(draft)
    } else if !std::io::stdin().is_terminal() {
        read_stdin()?
    } else {
        // The editor shows the draft on the terminal: recorded text in it must not drive it.
        let edited = ops::edit_update(&crate::output::sanitize::terminal_safe(&draft(), false))?;
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

/// With `--yes`: the text piped in, if stdin is a pipe or a file that holds some. A pipe that
/// stays open and silent is waited on for a second only (a CI job's inherited stdin), and
/// `/dev/null` or a terminal give none: the draft is sent then.
fn piped_text() -> Result<Option<String>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let kind = rustix::fs::fstat(&stdin).map(|st| rustix::fs::FileType::from_raw_mode(st.st_mode));
    let readable = match kind {
        Ok(rustix::fs::FileType::RegularFile) => true,
        Ok(rustix::fs::FileType::Fifo | rustix::fs::FileType::Socket) => {
            let wait = rustix::event::Timespec { tv_sec: 1, tv_nsec: 0 };
            let mut fds = [rustix::event::PollFd::new(&stdin, rustix::event::PollFlags::IN)];
            matches!(rustix::event::poll(&mut fds, Some(&wait)), Ok(n) if n > 0)
        }
        _ => false,
    };
    if !readable {
        return Ok(None);
    }
    Ok(Some(read_stdin_text()?).filter(|text| !text.trim().is_empty()))
}

/// The text piped in, which must not be empty.
fn read_stdin() -> Result<String> {
    let text = read_stdin_text()?;
    if text.trim().is_empty() {
        return Err(Error::usage("update not sent: standard input was empty")
            .with_hint("pipe the text in, or run it on a terminal to edit the draft; --yes sends the draft as it is"));
    }
    Ok(text)
}

/// Standard input as text, at most [`MAX_UPDATE_BYTES`] (one more is read to tell it was longer).
fn read_stdin_text() -> Result<String> {
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
    String::from_utf8(bytes).map_err(|_| Error::usage("update not sent: standard input is not UTF-8 text"))
}
