//! `incident receive`: Alertmanager's webhook receiver. The server (`crate::receive`) queues each
//! notification durably and acknowledges it; this loop records them in order, opening incidents,
//! adding to the open incident of a group, and running the chosen runbook's checks.

use std::net::SocketAddr;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use crate::alert::Notification;
use crate::cli::ReceiveArgs;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::ops::{self, AlertOverrides};
use crate::receive::{self, InboxEntry};
use crate::store::Outbox;

/// The environment variable holding the bearer token Alertmanager must send.
pub const TOKEN_ENV: &str = "INCIDENT_RECEIVE_TOKEN";
/// How often the inbox is looked at when nothing arrives (a failed record is retried then).
const RESCAN: Duration = Duration::from_secs(5);

pub fn run(ctx: &Context, args: &ReceiveArgs) -> Result<u8> {
    let listen: SocketAddr = args.listen.parse().map_err(|_| {
        Error::usage(format!("--listen {}: write an address and port, e.g. 127.0.0.1:9095", args.listen))
    })?;
    let token = std::env::var(TOKEN_ENV).ok().filter(|t| !t.trim().is_empty());
    if !listen.ip().is_loopback() && token.is_none() {
        return Err(Error::usage(format!("--listen {listen} is reachable from other machines and no token is set"))
            .with_hint(format!("set {TOKEN_ENV} and give Alertmanager the same as its webhook's bearer token")));
    }
    ctx.store.create_root()?;
    let inbox = ctx.store.inbox();
    let server = receive::start(listen, token.as_deref(), inbox.clone())?;
    let auth = if token.is_some() { "bearer token required" } else { "no token: loopback only" };
    ctx.out.info(&format!("Receiving alerts on http://{}/alertmanager ({auth}). Ctrl-C stops.", server.address));
    loop {
        drain(ctx, &inbox);
        match server.queued.recv_timeout(RESCAN) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Err(Error::runtime("the receiver's server stopped")),
        }
    }
}

/// Records every queued notification, oldest first. One that cannot be recorded now stays
/// queued, and so do those after it, so a group's notifications are recorded in order.
fn drain(ctx: &Context, inbox: &Outbox) {
    let (entries, damaged) = match inbox.list::<InboxEntry>() {
        Ok(listed) => listed,
        Err(e) => return ctx.out.warn(&format!("cannot read the inbox: {e}")),
    };
    for entry in damaged {
        ctx.out.warn(&format!("{}: {} (left in place)", entry.path.display(), entry.reason));
    }
    for entry in entries {
        let bytes = serde_json::to_vec(&entry.payload).unwrap_or_default();
        let notification = match Notification::parse(&bytes) {
            Ok(n) => n,
            Err(e) => {
                ctx.out.warn(&format!("inbox entry {}: {e}; dropped", entry.id));
                let _ = inbox.remove(&entry.id);
                continue;
            }
        };
        match ops::handle_alert(ctx, &notification, &AlertOverrides::default()) {
            Ok(handled) => {
                let alert = notification.alert_name().unwrap_or("alert");
                let mut said = handled.outcome.describe(alert);
                if !handled.checks.is_empty() {
                    let worst = crate::probe::worst(&handled.checks);
                    said.push_str(&format!(" Ran {} checks: worst {worst}.", handled.checks.len()));
                }
                ctx.out.info(&said);
                if ctx.out.json {
                    let line = serde_json::json!({
                        "id": handled.outcome.incident().map(|d| d.id.as_str()),
                        "outcome": handled.outcome.as_str(),
                        "alert": alert,
                        "group_key": notification.group_key,
                        "checks": handled.checks.len(),
                    });
                    let _ = ctx.out.json_line(&line);
                }
                if let Err(e) = inbox.remove(&entry.id) {
                    ctx.out.warn(&format!("recorded, but cannot remove inbox entry {}: {e}", entry.id));
                    return;
                }
            }
            Err(e) => {
                ctx.out.warn(&format!("cannot record alert {} yet ({e}); it stays queued and is retried", entry.id));
                return;
            }
        }
    }
}
