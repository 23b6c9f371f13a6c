//! Notifications: webhooks told of openings, status and severity changes, confirmed hypotheses
//! and resolutions, through an outbox that survives failures, against a receiver on loopback.

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

use crate::harness::{Env, NOW, Reply, Server, text};

/// A webhook URL on `server` with a token in it, as Slack's are: it must never be written anywhere.
fn webhook_url(server: &Server) -> String {
    format!("{}/services/T0/B0/{SECRET}", server.url())
}

const SECRET: &str = "xoxb-s3cr3t-webhook-token";
const LATER: &str = "2026-11-22T14:15:00Z";

/// An `Env` whose store is named by `incident.toml` (which lists `webhooks`), with `vars`.
struct Notifying {
    env: Env,
    vars: Vec<(String, String)>,
}

impl Notifying {
    fn new(webhooks: &str, vars: &[(&str, &str)]) -> Notifying {
        let env = Env::new();
        env.write("incident.toml", format!("store = \"store\"\n\n{webhooks}"));
        Notifying { env, vars: vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
    }

    /// The binary at `now`, finding its store (and webhooks) through `incident.toml`.
    fn cmd(&self, now: &str) -> Command {
        let mut cmd = self.env.cmd_at(now);
        cmd.env_remove("INCIDENT_STORE");
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs and expects success; returns stderr.
    fn ok(&self, now: &str, args: &[&str]) -> String {
        let out = self.cmd(now).args(args).output().expect("ran");
        assert!(out.status.success(), "incident {args:?} failed:\n{}", text(&out.stderr));
        text(&out.stdout) + &text(&out.stderr)
    }

    fn queue(&self, now: &str) -> Vec<Value> {
        let out = self.cmd(now).args(["--json", "notify", "status"]).output().expect("ran");
        serde_json::from_slice::<Vec<Value>>(&out.stdout).expect("notify status --json is a JSON array")
    }
}

/// Every file under `dir`, as (path, contents).
fn all_files(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(all_files(&path));
        } else {
            files.push((
                path.display().to_string(),
                String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned(),
            ));
        }
    }
    files
}

fn assert_secret_nowhere_in(store: &Path, outputs: &[&str]) {
    for (path, contents) in all_files(store) {
        assert!(!contents.contains(SECRET), "{path} holds the webhook URL:\n{contents}");
    }
    for output in outputs {
        assert!(!output.contains(SECRET), "the webhook URL was printed:\n{output}");
    }
}

#[test]
fn a_failed_delivery_waits_in_the_outbox_and_a_later_command_delivers_it_once() {
    let receiver = Server::start(|_, n| Reply::new(if n == 0 { 500 } else { 200 }, ""));
    let url = webhook_url(&receiver);
    let env = Notifying::new(
        "[[notify]]\nname = \"team\"\nkind = \"slack\"\nurl_env = \"SLACK_WEBHOOK_URL\"\n",
        &[("SLACK_WEBHOOK_URL", &url)],
    );

    let opened = env.ok(NOW, &["open", "Checkout returns 502s", "-s", "sev2", "--no-walk"]);
    assert!(opened.contains("not delivered: HTTP 500"), "{opened}");
    assert_eq!(receiver.requests().len(), 1);
    let queue = env.queue(NOW);
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(queue[0]["webhook"], "team");
    assert_eq!(queue[0]["kind"], "incident.opened");
    assert_eq!(queue[0]["attempts"], 1);
    assert_eq!(queue[0]["last_error"], "HTTP 500");

    // Not due yet (the first retry waits 30 s): a record at the same moment leaves it queued.
    let noted = env.ok(NOW, &["note", "paging the payments team"]);
    assert_eq!(receiver.requests().len(), 1, "{noted}");

    // Ten minutes on, any command that records sends it.
    let noted = env.ok(LATER, &["note", "rollback started"]);
    assert_eq!(receiver.requests().len(), 2, "{noted}");
    assert!(env.queue(LATER).is_empty());

    // Nothing is sent twice after a success.
    env.ok(LATER, &["notify", "flush"]);
    env.ok(LATER, &["note", "still watching"]);
    let received = receiver.requests();
    assert_eq!(received.len(), 2);

    // Both attempts were the same delivery, so a receiver can drop a repeat.
    let key = received[0].header("Idempotency-Key").expect("an Idempotency-Key");
    assert_eq!(received[1].header("Idempotency-Key"), Some(key));
    assert_eq!(received[1].path, format!("/services/T0/B0/{SECRET}"));
    let slack = received[1].json();
    let slack_text = slack["text"].as_str().expect("a Slack payload has text");
    assert!(slack_text.starts_with("[sev2] Checkout returns 502s: "), "{slack_text}");
    assert!(slack_text.contains("status investigating"), "{slack_text}");

    assert_secret_nowhere_in(&env.env.store(), &[&opened, &noted]);
}

#[test]
fn a_json_webhook_gets_the_incident_state_and_the_event_it_asked_for() {
    let receiver = Server::start(|_, _| Reply::new(200, ""));
    let url = webhook_url(&receiver);
    let env = Notifying::new(
        "[[notify]]\nname = \"pager\"\nkind = \"json\"\nurl_env = \"PAGER_HOOK\"\nevents = [\"status.changed\"]\n",
        &[("PAGER_HOOK", &url)],
    );
    env.ok(NOW, &["open", "Checkout returns 502s", "-s", "sev2", "--no-walk"]);
    env.ok(NOW, &["note", "not a notifying event"]);
    assert!(receiver.requests().is_empty(), "only status.changed was asked for");

    env.ok(NOW, &["status", "mitigated"]);
    let received = receiver.requests();
    assert_eq!(received.len(), 1);
    let body = &received[0].json();
    assert_eq!(body["incident"]["title"], "Checkout returns 502s");
    assert_eq!(body["incident"]["severity"], "sev2");
    assert_eq!(body["incident"]["status"], "mitigated");
    assert!(body["incident"]["id"].as_str().is_some_and(|id| id.ends_with("checkout-returns-502s")), "{body}");
    assert_eq!(body["event"]["kind"], "status.changed");
    assert_eq!(body["event"]["to"], "mitigated");
    assert_eq!(received[0].header("Content-Type"), Some("application/json"));
    assert!(env.queue(NOW).is_empty());
}

#[test]
fn a_missing_url_variable_is_reported_and_the_delivery_queued() {
    let env = Notifying::new("[[notify]]\nname = \"team\"\nkind = \"slack\"\nurl_env = \"MISSING_HOOK_URL\"\n", &[]);
    let opened = env.ok(NOW, &["open", "Checkout returns 502s", "-s", "sev2", "--no-walk"]);
    assert!(opened.contains("MISSING_HOOK_URL is not set"), "{opened}");
    let queue = env.queue(NOW);
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0]["last_error"], "MISSING_HOOK_URL is not set (it holds the webhook's URL)");

    let flushed = env.cmd(NOW).args(["notify", "flush"]).output().expect("ran");
    assert_eq!(flushed.status.code(), Some(1), "a flush that leaves deliveries queued fails");
    assert!(text(&flushed.stderr).contains("1 notification(s) still queued"), "{}", text(&flushed.stderr));
    assert_eq!(env.queue(NOW)[0]["attempts"], 2);
}

// What broke: a webhook slower than the 2 s budget was never marked delivered and was posted
// again on every retry (Slack ignores Idempotency-Key). Now the command returns after the budget
// and the background sender waits for the answer, then marks it delivered.
#[test]
fn a_webhook_slower_than_the_budget_does_not_hold_the_command_and_is_posted_once() {
    let receiver = Server::start(|_, _| Reply::new(200, "").after(Duration::from_secs(6)));
    let url = webhook_url(&receiver);
    let env = Notifying::new(
        "[[notify]]\nname = \"team\"\nkind = \"slack\"\nurl_env = \"SLACK_WEBHOOK_URL\"\n",
        &[("SLACK_WEBHOOK_URL", &url)],
    );
    let started = std::time::Instant::now();
    let opened = env.ok(NOW, &["open", "Checkout returns 502s", "-s", "sev2", "--no-walk"]);
    assert!(started.elapsed() < Duration::from_secs(5), "the command waited for the webhook: {opened}");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !env.queue(NOW).is_empty() {
        assert!(std::time::Instant::now() < deadline, "never marked delivered: {:?}", env.queue(NOW));
        std::thread::sleep(Duration::from_millis(200));
    }
    env.ok(LATER, &["notify", "flush"]);
    env.ok(LATER, &["status", "identified"]);
    std::thread::sleep(Duration::from_millis(200));
    let opening_posts =
        receiver.requests().iter().filter(|r| r.json()["text"].to_string().contains("Incident opened")).count();
    assert_eq!(opening_posts, 1);
    assert_secret_nowhere_in(&env.env.store(), &[&opened]);
}

// A post whose answer never came may have reached the channel: to Slack, which cannot tell a
// repeat, it is not sent again, and the responder is told to look.
#[test]
fn a_slack_post_left_unanswered_past_its_timeout_is_not_posted_again() {
    let receiver = Server::start(|_, _| Reply::new(200, "").after(Duration::from_secs(20)));
    let url = webhook_url(&receiver);
    let env = Notifying::new(
        "[[notify]]\nname = \"team\"\nkind = \"slack\"\nurl_env = \"SLACK_WEBHOOK_URL\"\ntimeout = \"1s\"\n",
        &[("SLACK_WEBHOOK_URL", &url)],
    );
    let opened = env.ok(NOW, &["open", "Checkout returns 502s", "-s", "sev2", "--no-walk"]);
    assert!(opened.contains("no answer within 1s; it may have been posted, so it is not sent again"), "{opened}");
    assert!(env.queue(NOW).is_empty());
    env.ok(LATER, &["notify", "flush"]);
    assert_eq!(receiver.hits(), 1);
    assert_secret_nowhere_in(&env.env.store(), &[&opened]);
}

#[test]
fn every_command_that_changes_how_the_incident_stands_notifies_and_plain_records_do_not() {
    let receiver = Server::start(|_, _| Reply::new(200, ""));
    let url = webhook_url(&receiver);
    let env =
        Notifying::new("[[notify]]\nname = \"all\"\nkind = \"json\"\nurl_env = \"ALL_HOOK\"\n", &[("ALL_HOOK", &url)]);
    let now = NOW;
    env.ok(now, &["open", "Checkout returns 502s", "-s", "sev2", "--no-walk"]);
    env.ok(now, &["severity", "sev1"]);
    env.ok(now, &["observe", "502s on every pod"]);
    env.ok(now, &["hypothesis", "add", "the 13:58 deploy"]);
    env.ok(now, &["hypothesis", "confirm", "H1", "--evidence", "errors stopped after rollback"]);
    env.ok(now, &["status", "mitigated"]);
    env.ok(now, &["resolve", "--summary", "Rolled back"]);
    let kinds: Vec<String> = receiver
        .requests()
        .iter()
        .map(|r| r.json()["event"]["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        kinds,
        ["incident.opened", "severity.changed", "hypothesis.confirmed", "status.changed", "incident.resolved"]
    );
    assert_eq!(receiver.requests().last().map(|r| r.json()["incident"]["severity"].clone()), Some("sev1".into()));
}

// What broke: after a backlog, "Status..." arrived before "Incident opened"; and a receiver's
// `Retry-After` was ignored, so a throttled webhook was hammered on our own schedule.
#[test]
fn notifications_of_an_incident_go_out_in_order_and_wait_as_long_as_the_receiver_asks() {
    let receiver =
        Server::start(
            |_, n| if n == 0 { Reply::new(429, "").header("Retry-After", "600") } else { Reply::new(200, "") },
        );
    let url = webhook_url(&receiver);
    let env = Notifying::new(
        "[[notify]]\nname = \"team\"\nkind = \"slack\"\nurl_env = \"SLACK_WEBHOOK_URL\"\n",
        &[("SLACK_WEBHOOK_URL", &url)],
    );
    let opened = env.ok(NOW, &["open", "Checkout returns 502s", "-s", "sev2", "--no-walk"]);
    assert!(opened.contains("asked to retry after 600s"), "{opened}");
    // The status change is due now, but the opening is not: it waits behind it.
    env.ok(NOW, &["status", "identified"]);
    assert_eq!(receiver.requests().len(), 1);
    // Past our own backoff (30 s), inside the receiver's 10 minutes: still nothing.
    env.ok("2026-11-22T14:09:00Z", &["note", "x"]);
    assert_eq!(receiver.requests().len(), 1);
    env.ok("2026-11-22T14:16:00Z", &["note", "y"]);
    let texts: Vec<String> =
        receiver.requests().iter().map(|r| r.json()["text"].as_str().unwrap_or("").to_string()).collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(
        texts[1].contains("Incident opened") && texts[2].contains("Status investigating -&gt; identified"),
        "{texts:?}"
    );
    assert!(env.queue("2026-11-22T14:16:00Z").is_empty());
}

/// The pids of background senders (`incident notify send`) working in `dir`.
fn senders_in(dir: &Path) -> Vec<i32> {
    let dir = dir.canonicalize().expect("the env's folder");
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|p| p.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok();
            cmdline.ends_with(b"notify\0send\0") && cwd.as_deref() == Some(dir.as_path())
        })
        .collect()
}

// What would break: a sender killed while waiting for Slack's answer leaves a post that may
// have reached the channel; the next sender must not post it again.
#[test]
fn a_slack_post_whose_sender_was_killed_waiting_is_not_posted_again() {
    let receiver = Server::start(|_, _| Reply::new(200, "").after(Duration::from_secs(20)));
    let url = webhook_url(&receiver);
    let env = Notifying::new(
        "[[notify]]\nname = \"team\"\nkind = \"slack\"\nurl_env = \"SLACK_WEBHOOK_URL\"\n",
        &[("SLACK_WEBHOOK_URL", &url)],
    );
    env.ok(NOW, &["open", "Checkout returns 502s", "-s", "sev2", "--no-walk"]);
    assert_eq!(receiver.hits(), 1);
    let senders = senders_in(env.env.path());
    assert_eq!(senders.len(), 1, "one sender still waits for the answer");
    let queue = env.queue(NOW);
    assert_eq!((queue.len(), &queue[0]["sending"]), (1, &Value::Bool(true)), "{queue:?}");
    // SAFETY: kill(2) on a pid this test found; no memory is involved.
    assert_eq!(unsafe { libc::kill(senders[0], libc::SIGKILL) }, 0);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !senders_in(env.env.path()).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }

    let flushed = env.cmd(LATER).args(["notify", "flush"]).output().expect("ran");
    let said = text(&flushed.stderr);
    assert!(said.contains("the sender stopped before the answer came; it may have been posted"), "{said}");
    assert!(env.queue(LATER).is_empty());
    assert_eq!(receiver.hits(), 1);
}

// What would break: the command after a slow post finds the outbox held by the sender still
// waiting, so its own notification would wait for some later command. The sender takes it.
#[test]
fn a_notification_queued_while_the_sender_waits_on_a_slow_webhook_goes_out_without_another_command() {
    let receiver =
        Server::start(
            |_, n| if n == 0 { Reply::new(200, "").after(Duration::from_secs(4)) } else { Reply::new(200, "") },
        );
    let url = webhook_url(&receiver);
    let env = Notifying::new(
        "[[notify]]\nname = \"team\"\nkind = \"slack\"\nurl_env = \"SLACK_WEBHOOK_URL\"\n",
        &[("SLACK_WEBHOOK_URL", &url)],
    );
    env.ok(NOW, &["open", "Checkout returns 502s", "-s", "sev2", "--no-walk"]);
    env.ok(NOW, &["status", "identified"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while receiver.hits() < 2 {
        assert!(std::time::Instant::now() < deadline, "the status change was left queued: {:?}", env.queue(NOW));
        std::thread::sleep(Duration::from_millis(100));
    }
    let texts: Vec<String> = receiver.requests().iter().map(|r| r.json()["text"].to_string()).collect();
    assert!(texts[0].contains("Incident opened") && texts[1].contains("identified"), "{texts:?}");
    assert!(env.queue(NOW).is_empty());
}
