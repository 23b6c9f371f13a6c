//! The background sender: a command that records starts `incident notify send` as a process of
//! its own and waits for it at most [`BUDGET`]. A webhook that answers in time is reported as
//! before; a slower one is waited for by the sender alone, up to the webhook's own timeout, so
//! its answer is not lost (and the notification not posted again) when the command returns.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use super::{BUDGET, Delivery, FlushReport, Notifier};

/// How the sender went, as far as the command waited.
pub(super) enum Sent {
    /// It finished within the budget: what it did.
    Finished(FlushReport),
    /// Still sending when the budget ran out: it goes on alone.
    StillSending,
    /// Nothing was due: no sender started.
    NothingDue,
}

/// Starts the sender if anything is due, and waits for it up to [`BUDGET`]. Fails when it
/// cannot be started, or ends without saying what it did.
pub(super) fn send_due(notifier: &Notifier<'_>) -> Result<Sent, String> {
    let now = notifier.clock.now();
    let (queued, _) = notifier.store.outbox().list::<Delivery>().map_err(|e| e.to_string())?;
    if !queued.iter().any(|d| !d.awaiting_sync && (d.next_try <= now || d.sending_since.is_some())) {
        return Ok(Sent::NothingDue);
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot tell where this binary is: {e}"))?;
    // Same directory and environment: it finds the same `incident.toml`, store and URLs.
    let mut child = Command::new(exe)
        .args(["notify", "send"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // A group of its own: the Ctrl-C that ends the command does not end the sender mid-post.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start the sender: {e}"))?;
    let stdout = child.stdout.take();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut stdout) = stdout {
            let _ = stdout.read_to_end(&mut bytes);
        }
        let _ = tx.send(bytes);
    });
    match rx.recv_timeout(BUDGET) {
        Ok(bytes) => {
            let _ = child.wait();
            serde_json::from_slice(&bytes)
                .map(Sent::Finished)
                .map_err(|_| "the sender stopped without saying what it sent".to_string())
        }
        Err(_) => Ok(Sent::StillSending),
    }
}
