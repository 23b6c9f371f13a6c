//! One voice in the channel: with the store shared through git, each notifying event is posted
//! once by the team, by whichever clone with the webhook's URL takes it on first, composed from
//! the merged timeline. Real git clones through a bare remote, a real receiver on loopback.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::harness::{Env, Reply, Server, text};
use crate::sync::{HERMETIC_GIT, bare_remote};

const INCIDENT: &str = "2026-11-22-checkout-502s";
const WEBHOOK: &str = "[[notify]]\nname = \"team\"\nkind = \"json\"\nurl_env = \"HOOK_URL\"\n";

/// A responder's machine: a folder with its own `incident.toml` (naming its store and the
/// team's webhook) and, or not, the webhook's URL in its environment.
struct Clone<'a> {
    env: &'a Env,
    name: &'static str,
    url: Option<String>,
}

impl Clone<'_> {
    fn new<'a>(env: &'a Env, name: &'static str, url: Option<&str>) -> Clone<'a> {
        let dir = env.path().join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("incident.toml"), format!("store = \"store\"\n\n{WEBHOOK}")).expect("write");
        Clone { env, name, url: url.map(str::to_string) }
    }

    fn store(&self) -> PathBuf {
        self.env.path().join(self.name).join("store")
    }

    /// Runs `incident ARGS` at `now`, expecting success; returns stdout and stderr.
    fn ok(&self, now: &str, args: &[&str]) -> String {
        let mut cmd = self.env.cmd_at(now);
        cmd.current_dir(self.env.path().join(self.name)).env_remove("INCIDENT_STORE").env("INCIDENT_AUTHOR", self.name);
        cmd.envs(HERMETIC_GIT.iter().copied());
        if let Some(url) = &self.url {
            cmd.env("HOOK_URL", url);
        }
        let out = cmd.args(args).output().expect("ran");
        assert!(out.status.success(), "{}: incident {args:?} failed:\n{}", self.name, text(&out.stderr));
        text(&out.stdout) + &text(&out.stderr)
    }

    fn timeline(&self) -> Vec<Value> {
        std::fs::read_to_string(self.store().join(INCIDENT).join("timeline.jsonl"))
            .expect("a timeline")
            .lines()
            .map(|l| serde_json::from_str(l).expect("an event"))
            .collect()
    }
}

/// The receiver's posts: how many times each event id was posted, and the bodies.
fn posts(receiver: &Server) -> (BTreeMap<String, usize>, Vec<Value>) {
    let bodies: Vec<Value> = receiver.requests().iter().map(|r| r.json()).collect();
    let mut counts = BTreeMap::new();
    for body in &bodies {
        *counts.entry(body["event"]["id"].as_str().unwrap_or_default().to_string()).or_default() += 1;
    }
    (counts, bodies)
}

const NOTIFYING: &[&str] =
    &["incident.opened", "status.changed", "severity.changed", "hypothesis.confirmed", "incident.resolved"];

fn notifying_ids(clone: &Clone<'_>) -> Vec<String> {
    clone
        .timeline()
        .iter()
        .filter(|e| NOTIFYING.contains(&e["kind"].as_str().unwrap_or_default()))
        .map(|e| e["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

// What broke: a responder without the webhook variable queued forever, while the teammates who
// had it never sent their events; and each laptop announced the "from" it had seen.
#[test]
fn every_event_is_posted_once_by_the_clone_with_the_webhook_whoever_recorded_it() {
    let receiver = Server::start(|_, _| Reply::new(200, ""));
    let env = Env::new();
    let remote = bare_remote(&env, "remote.git");
    let remote = remote.to_str().expect("UTF-8");
    let ana = Clone::new(&env, "ana", Some(&receiver.url()));
    let bo = Clone::new(&env, "bo", None);

    ana.ok("2026-11-22T14:00:00Z", &["open", "Checkout 502s", "-s", "sev2", "--no-walk"]);
    ana.ok("2026-11-22T14:00:30Z", &["sync", "--init", remote]);
    bo.ok("2026-11-22T14:00:40Z", &["sync", "--init", remote]);
    bo.ok("2026-11-22T14:00:50Z", &["use", INCIDENT]);
    assert_eq!(receiver.hits(), 1, "Ana's opening is posted by Ana at once");

    // Bo, without the URL, raises severity and identifies the cause: nothing he can post.
    let said = bo.ok("2026-11-22T14:02:00Z", &["severity", "sev1"]);
    bo.ok("2026-11-22T14:03:00Z", &["status", "identified"]);
    assert_eq!(receiver.hits(), 1, "{said}");
    assert!(!bo.store().join("outbox").exists(), "nothing queues forever on Bo's machine");
    // Ana, not yet synced, mitigates: posted at once, as she saw it.
    ana.ok("2026-11-22T14:04:00Z", &["status", "mitigated"]);
    assert_eq!(receiver.hits(), 2);

    bo.ok("2026-11-22T14:05:00Z", &["sync"]);
    let synced = ana.ok("2026-11-22T14:05:30Z", &["sync"]);
    assert_eq!(receiver.hits(), 4, "Ana's sync posts Bo's two events:\n{synced}");
    for _ in 0..2 {
        bo.ok("2026-11-22T14:06:00Z", &["sync"]);
        ana.ok("2026-11-22T14:06:30Z", &["sync"]);
    }
    bo.ok("2026-11-22T14:07:00Z", &["notify", "flush"]);

    let (counts, bodies) = posts(&receiver);
    let expected = notifying_ids(&ana);
    assert_eq!(expected.len(), 4);
    assert_eq!(notifying_ids(&bo), expected, "both clones hold the same events");
    for id in &expected {
        assert_eq!(counts.get(id), Some(&1), "event {id} posted {:?} times: {counts:?}", counts.get(id));
    }
    assert_eq!(counts.len(), expected.len(), "{counts:?}");

    // Bo's status change, posted after the merge, moved from what the merged timeline had.
    let identified = bodies.iter().find(|b| b["event"]["to"] == "identified").expect("Bo's change was posted");
    assert_eq!(identified["event"]["from"], "investigating");
    assert_eq!(identified["incident"]["severity"], "sev1", "{identified}");
    assert_eq!(identified["incident"]["status"], "identified", "the state as of the event, not later");
    // Both clones end with the same markers: each event delivered once, to one webhook.
    let log =
        |c: &Clone<'_>| std::fs::read_to_string(c.store().join(INCIDENT).join("deliveries.jsonl")).expect("markers");
    let delivered = log(&ana).lines().filter(|l| l.contains("\"delivered\"")).count();
    // (Three: the opening was posted before the store was shared, when no marker was needed.)
    assert_eq!(delivered, 3, "{}", log(&ana));
    let sorted = |text: String| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort_unstable();
        lines
    };
    assert_eq!(sorted(log(&ana)), sorted(log(&bo)));
}

// What would break: two clones with the webhook that both pulled an event nobody could post
// would each post it. The first to push its claim posts; the other, seeing two claims, drops its.
#[test]
fn two_clones_with_the_webhook_claiming_the_same_event_post_it_once() {
    let receiver = Server::start(|_, _| Reply::new(200, ""));
    let env = Env::new();
    let remote = bare_remote(&env, "remote.git");
    let remote = remote.to_str().expect("UTF-8");
    let ana = Clone::new(&env, "ana", Some(&receiver.url()));
    let mut bo = Clone::new(&env, "bo", None);
    let cy = Clone::new(&env, "cy", None);

    ana.ok("2026-11-22T14:00:00Z", &["open", "Checkout 502s", "-s", "sev2", "--no-walk"]);
    ana.ok("2026-11-22T14:00:30Z", &["sync", "--init", remote]);
    for who in [&bo, &cy] {
        who.ok("2026-11-22T14:00:40Z", &["sync", "--init", remote]);
        who.ok("2026-11-22T14:00:50Z", &["use", INCIDENT]);
    }
    cy.ok("2026-11-22T14:02:00Z", &["status", "identified"]);
    cy.ok("2026-11-22T14:02:10Z", &["sync"]);
    // Bo pulls Cy's change before he has the URL; then Ana claims it and pushes first.
    bo.ok("2026-11-22T14:02:20Z", &["sync"]);
    ana.ok("2026-11-22T14:02:30Z", &["sync"]);
    assert_eq!(receiver.hits(), 2);
    // Bo gets the URL: his sync claims the change before it fetches Ana's claim, then sees both.
    bo.url = Some(receiver.url());
    bo.ok("2026-11-22T14:03:00Z", &["sync"]);
    bo.ok("2026-11-22T14:03:10Z", &["notify", "flush"]);
    ana.ok("2026-11-22T14:03:20Z", &["sync"]);

    let (counts, _) = posts(&receiver);
    assert_eq!(counts.len(), 2, "{counts:?}");
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    let claims = std::fs::read_to_string(bo.store().join(INCIDENT).join("deliveries.jsonl")).expect("markers");
    assert_eq!(claims.lines().filter(|l| l.contains("\"claimed\"") && l.contains("\"bo\"")).count(), 1, "{claims}");
}

// What broke: a clone that claimed an event and then could not post it (its receiver down,
// then it died or never synced again) left it "taken" for good, and the channel never heard.
#[test]
fn a_claim_not_delivered_within_its_lease_is_posted_once_by_a_teammate() {
    let receiver = Server::start(|_, _| Reply::new(200, ""));
    let down = Server::start(|_, _| Reply::new(500, ""));
    let env = Env::new();
    let remote = bare_remote(&env, "remote.git");
    let remote = remote.to_str().expect("UTF-8");
    let mut ana = Clone::new(&env, "ana", None);
    let bo = Clone::new(&env, "bo", Some(&receiver.url()));

    ana.ok("2026-11-22T14:00:00Z", &["open", "Checkout 502s", "-s", "sev2", "--no-walk"]);
    ana.ok("2026-11-22T14:00:30Z", &["sync", "--init", remote]);
    bo.ok("2026-11-22T14:00:40Z", &["sync", "--init", remote]);
    // Ana claims her change at once, but her receiver fails it; her claim reaches Bo.
    ana.url = Some(down.url());
    ana.ok("2026-11-22T14:02:00Z", &["status", "identified"]);
    ana.ok("2026-11-22T14:02:10Z", &["sync"]);
    assert!(down.hits() >= 1, "Ana's sender tried her receiver");
    let ana_claim = claim_of(&ana, "ana");

    // Within the lease (30 s timeout + 1 min + 2 min clock tolerance) Bo leaves it to Ana.
    bo.ok("2026-11-22T14:05:20Z", &["sync"]);
    assert_eq!(receiver.hits(), 0);
    // After it, Bo takes it on and posts it, with Ana's key: a JSON receiver sees one request.
    let said = bo.ok("2026-11-22T14:05:40Z", &["sync"]);
    assert_eq!(receiver.hits(), 1, "{said}");
    let posted = &receiver.requests()[0];
    assert_eq!(posted.json()["event"]["to"], "identified");
    assert_eq!(posted.header("idempotency-key"), Some(ana_claim.as_str()));

    // Ana's receiver comes back; her sync learns Bo delivered it, and she does not post it again.
    ana.url = Some(receiver.url());
    ana.ok("2026-11-22T14:06:00Z", &["sync"]);
    ana.ok("2026-11-22T14:06:10Z", &["notify", "flush"]);
    let (counts, _) = posts(&receiver);
    let change = notifying_ids(&ana)[1].clone();
    assert_eq!(counts.get(&change), Some(&1), "{counts:?}");
}

/// The delivery id of `who`'s claim in `clone`'s markers.
fn claim_of(clone: &Clone<'_>, who: &str) -> String {
    let log = std::fs::read_to_string(clone.store().join(INCIDENT).join("deliveries.jsonl")).expect("markers");
    let claim = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a marker"))
        .find(|m| m["state"] == "claimed" && m["by"] == who)
        .unwrap_or_else(|| panic!("no claim by {who}:\n{log}"));
    claim["delivery"].as_str().expect("a delivery id").to_string()
}

// What would break: a teammate taking over a lapsed claim whose request may have reached Slack
// (sent, answer lost) would post it twice, as Slack ignores Idempotency-Key.
#[test]
fn a_lapsed_claim_that_may_have_reached_slack_is_not_posted_again_and_status_says_so() {
    let slow = Server::start(|_, _| Reply::new(200, "").after(std::time::Duration::from_secs(3)));
    let env = Env::new();
    let remote = bare_remote(&env, "remote.git");
    let remote = remote.to_str().expect("UTF-8");
    let ana = Clone::new(&env, "ana", Some(&slow.url()));
    let bo = Clone::new(&env, "bo", Some(&slow.url()));
    let slack = "[[notify]]\nname = \"team\"\nkind = \"slack\"\nurl_env = \"HOOK_URL\"\ntimeout = \"1s\"\n";
    for who in ["ana", "bo"] {
        std::fs::write(env.path().join(who).join("incident.toml"), format!("store = \"store\"\n\n{slack}"))
            .expect("write");
    }

    ana.ok("2026-11-22T14:00:00Z", &["open", "Checkout 502s", "-s", "sev2", "--no-walk"]);
    ana.ok("2026-11-22T14:00:30Z", &["sync", "--init", remote]);
    bo.ok("2026-11-22T14:00:40Z", &["sync", "--init", remote]);
    // Ana's change is sent and its answer lost; her next syncs carry her `sending` marker.
    ana.ok("2026-11-22T14:02:00Z", &["status", "identified"]);
    ana.ok("2026-11-22T14:02:10Z", &["sync"]);
    ana.ok("2026-11-22T14:02:20Z", &["sync"]);
    let sent = slow.hits();
    assert_eq!(sent, 2, "the opening and the change reached the receiver");

    // Long after the lease (1 s + 1 min + 2 min), Bo's sync does not post it ...
    bo.ok("2026-11-22T14:10:00Z", &["sync"]);
    bo.ok("2026-11-22T14:10:10Z", &["notify", "flush"]);
    assert_eq!(slow.hits(), sent, "Bo posted an event that may already be in the channel");
    // ... and his `notify status` says why.
    let status = bo.ok("2026-11-22T14:10:20Z", &["notify", "status"]);
    assert!(status.contains("status.changed of 2026-11-22-checkout-502s to team"), "{status}");
    assert!(status.contains("may have been posted, so no clone posts it again"), "{status}");
}

// What broke: after a backlog, a teammate's older event, pulled and claimed by this clone, was
// posted after this clone's own newer one (the queue went in the order it was queued).
#[test]
fn a_teammates_older_event_is_posted_before_this_clones_newer_one() {
    // The receiver fails Ana's own change the first time, so it is still queued when she syncs.
    let receiver = Server::start(|_, n| Reply::new(if n == 1 { 500 } else { 200 }, ""));
    let env = Env::new();
    let remote = bare_remote(&env, "remote.git");
    let remote = remote.to_str().expect("UTF-8");
    let ana = Clone::new(&env, "ana", Some(&receiver.url()));
    let bo = Clone::new(&env, "bo", None);

    ana.ok("2026-11-22T14:00:00Z", &["open", "Checkout 502s", "-s", "sev2", "--no-walk"]);
    ana.ok("2026-11-22T14:00:30Z", &["sync", "--init", remote]);
    bo.ok("2026-11-22T14:00:40Z", &["sync", "--init", remote]);
    bo.ok("2026-11-22T14:00:50Z", &["use", INCIDENT]);
    bo.ok("2026-11-22T14:02:00Z", &["status", "identified"]);
    bo.ok("2026-11-22T14:02:10Z", &["sync"]);
    ana.ok("2026-11-22T14:04:00Z", &["status", "mitigated"]);
    assert_eq!(receiver.hits(), 2, "Ana's change was tried and failed");
    ana.ok("2026-11-22T14:05:00Z", &["sync"]);
    ana.ok("2026-11-22T14:05:10Z", &["notify", "flush"]);

    let posted: Vec<Value> = receiver.requests().iter().skip(2).map(|r| r.json()["event"]["to"].clone()).collect();
    assert_eq!(posted, ["identified", "mitigated"], "posted in the events' order");
}
