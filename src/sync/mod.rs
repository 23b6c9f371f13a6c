//! Shared timelines: the store as a git repository, synced with `incident sync`.
//!
//! A sync commits what this responder recorded, fetches, merges (timelines through the
//! `incident-timeline` merge driver, which takes the union of their events), and pushes. Local
//! work is committed before anything touches the network, so a failed fetch or push loses
//! nothing: the next sync carries it.
//!
//! Git replaces a timeline when it merges it, so every git command that reads or writes the
//! work tree runs under the write locks of all timelines; an append waiting on a lock re-opens
//! the file if it was replaced meanwhile (`Timeline::lock`).

mod git;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

pub use git::{Config, Git, GitOutput};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::IncidentId;
use crate::store::{MERGE_DRIVER, Store, TimelineLock, write_git_files};

/// How long a fetch or push may take unless `incident.toml` says otherwise.
pub const NETWORK_TIMEOUT: Duration = Duration::from_secs(60);
const REMOTE: &str = "origin";
/// The branch a store made by `sync --init` starts on (a cloned store keeps its own).
const DEFAULT_BRANCH: &str = "main";
/// The first wait after a lost push race; it doubles (with jitter) up to `MAX_RACE_WAIT`.
const FIRST_RACE_WAIT: Duration = Duration::from_millis(100);
const MAX_RACE_WAIT: Duration = Duration::from_secs(2);

/// What a sync did, for people and for `--json`.
#[derive(Debug, Default, Serialize)]
pub struct SyncReport {
    pub store: PathBuf,
    pub remote: Option<String>,
    pub branch: String,
    /// This sync made the store a git repository.
    pub initialized: bool,
    /// Commits this sync made (its own events, merges), oldest first.
    pub commits: Vec<String>,
    /// Events recorded here since the last sync, now committed.
    pub committed_events: usize,
    /// Events that came from the remote, by incident.
    pub pulled_events: BTreeMap<String, usize>,
    /// The remote holds everything this clone has.
    pub pushed: bool,
    /// Incidents the pulled events left with something to settle: opened on two machines,
    /// status or severity changed at once (`show` says what).
    pub clashes: Vec<String>,
    /// Pulled events dated ahead of this clock, by author.
    pub future_dated: Vec<FutureDated>,
    /// Notifications of teammates' events this clone claimed to post (sent once the push shows
    /// no other clone claimed them first).
    pub claimed_notifications: usize,
    /// Pushes that lost a race to a teammate's and were retried.
    pub lost_races: usize,
    /// What this sync repaired in the store's repository before it could go on: a stale
    /// `index.lock`, a killed merge's temporary files, a merge left unfinished.
    pub repaired: Vec<String>,
    /// Why the sync stopped short, when it did.
    pub error: Option<String>,
}

/// What the command line asked for.
#[derive(Debug, Default)]
pub struct SyncRequest {
    /// `--init REMOTE`: make the store a repository with this remote (or point it there).
    pub init_remote: Option<String>,
}

/// Runs a sync. The report is returned even on failure (with `error` set) so the command can
/// say what was done before it stopped.
pub fn sync(ctx: &Context, request: &SyncRequest) -> (SyncReport, Result<()>) {
    let mut report = SyncReport { store: ctx.store.root().to_path_buf(), ..SyncReport::default() };
    let result = run(ctx, request, &mut report);
    if let Err(e) = &result {
        report.error = Some(e.to_string());
    }
    // The remote now holds this clone's claims: which ones it won is settled, and sent.
    if result.is_ok() && report.pushed {
        crate::notify::after_sync(&ctx.notifier());
    }
    (report, result)
}

fn run(ctx: &Context, request: &SyncRequest, report: &mut SyncReport) -> Result<()> {
    let store = &ctx.store;
    let root = store.root();
    let mut git = Git::new(root);
    let network_timeout = match &ctx.sync.timeout {
        Some(text) => crate::time::parse_duration(text)
            .map_err(|e| Error::runtime(format!("incident.toml: [sync] timeout: {e}")))?,
        None => NETWORK_TIMEOUT,
    };

    if !is_own_repository(&git, root)? {
        let remote = request.init_remote.clone().or_else(|| ctx.sync.remote.clone()).ok_or_else(|| {
            Error::runtime(format!("the store {} is not a git repository yet", root.display())).with_hint(
                "make it one with `incident sync --init REMOTE` (a git URL or path), or set `remote` under [sync] in incident.toml",
            )
        })?;
        store.create_root()?;
        git.run(&["init", "--quiet", "--initial-branch", DEFAULT_BRANCH])?;
        git.run(&["remote", "add", REMOTE, &remote])?;
        report.initialized = true;
    } else if let Some(remote) = &request.init_remote {
        if git.config(&format!("remote.{REMOTE}.url"))?.is_some() {
            git.run(&["remote", "set-url", REMOTE, remote])?;
        } else {
            git.run(&["remote", "add", REMOTE, remote])?;
        }
    }
    write_git_files(root)?;
    // One read of git's config for everything below: a sync runs few git processes.
    let config = git.config_all()?;
    register_merge_driver(&git, &config)?;
    set_identity(ctx, &mut git, &config);

    report.remote = config.get(&format!("remote.{REMOTE}.url"));
    report.branch =
        git.output(&["symbolic-ref", "--quiet", "--short", "HEAD"], git::LOCAL_TIMEOUT)?.stdout.trim().to_string();
    if report.branch.is_empty() {
        return Err(Error::runtime(format!("the store's repository {} is not on a branch", root.display()))
            .with_hint("check out a branch there with git, then sync again"));
    }

    // So that a plain `git pull` in the store knows where to pull from.
    if config.get(&format!("branch.{}.remote", report.branch)).is_none() {
        git.run(&["config", &format!("branch.{}.remote", report.branch), REMOTE])?;
        git.run(&["config", &format!("branch.{}.merge", report.branch), &format!("refs/heads/{}", report.branch)])?;
    }

    // Local work first: once committed, nothing the network does can lose it.
    {
        let locks = lock_all(store)?;
        heal(ctx, &git, report)?;
        // Due notifications no clone claimed (a sync killed after its merge left some).
        report.claimed_notifications += crate::notify::claim_due(&ctx.notifier(), &locks)?;
        commit_local(ctx, &git, report)?;
    }
    let Some(remote) = report.remote.clone() else {
        return Err(Error::runtime(format!("the store's repository {} has no remote {REMOTE:?}", root.display()))
            .with_hint("name one with `incident sync --init REMOTE`"));
    };
    let tracking = format!("refs/remotes/{REMOTE}/{}", report.branch);

    // A push that lost a race (a teammate pushed between our fetch and our push) is retried,
    // after merging theirs, until the deadline: with a busy team, three tries were not enough.
    let deadline = Instant::now() + network_timeout;
    let mut wait = FIRST_RACE_WAIT;
    loop {
        let fetched = git.output(&["fetch", "--quiet", "--no-tags", REMOTE], network_timeout).map_err(safe)?;
        if !fetched.success {
            // Another fetch in this clone moved the tracking ref under ours (a sync killed with
            // SIGKILL leaves its git running): the ref is fine, try again shortly.
            if fetched.stderr.contains("cannot lock ref") && Instant::now() + wait < deadline {
                std::thread::sleep(wait.mul_f64(rand::random_range(0.5..1.5)));
                wait = (wait * 2).min(MAX_RACE_WAIT);
                continue;
            }
            return Err(unreachable(&remote, "fetch from", &fetched));
        }
        let ahead = match divergence(&git, &tracking)? {
            // The remote branch does not exist yet: ours makes it.
            None => true,
            Some((ahead, 0)) => ahead > 0,
            Some((_, _behind)) => {
                let before = {
                    let locks = lock_all(store)?;
                    // Events recorded while we fetched go in before the merge.
                    commit_local(ctx, &git, report)?;
                    let mut before: HashMap<IncidentId, HashSet<String>> = HashMap::new();
                    for (id, lock) in &locks {
                        before.insert(id.clone(), lock.read()?.events.into_iter().map(|e| e.id).collect());
                    }
                    merge(&git, &tracking, &remote, report)?;
                    // Teammates' events this clone can post for them: claimed, and the claims
                    // go with the push that settles who posts.
                    let claimed = crate::notify::claim_due(&ctx.notifier(), &locks)?;
                    if claimed > 0 {
                        report.claimed_notifications += claimed;
                        commit_local(ctx, &git, report)?;
                    }
                    before
                };
                let after = event_ids(store)?;
                for (id, events) in after {
                    let known = before.get(&id);
                    let new: HashSet<&String> =
                        events.iter().filter(|e| known.is_none_or(|k| !k.contains(*e))).collect();
                    if !new.is_empty() {
                        *report.pulled_events.entry(id.to_string()).or_default() += new.len();
                        check_pulled(ctx, &id, &new, report)?;
                    }
                }
                divergence(&git, &tracking)?.is_none_or(|(ahead, _)| ahead > 0)
            }
        };
        if !ahead {
            report.pushed = true;
            return Ok(());
        }
        let branch = format!("HEAD:refs/heads/{}", report.branch);
        let pushed = git.output(&["push", "--quiet", REMOTE, &branch], network_timeout).map_err(safe)?;
        if pushed.success {
            report.pushed = true;
            return Ok(());
        }
        // Only a lost race is worth another round (a push that came first, or one landing at the
        // same moment: the remote could not move the branch); a hook or a permission saying no
        // is not.
        let rejected = ["[rejected]", "fetch first", "non-fast-forward", "cannot lock ref", "failed to update ref"]
            .iter()
            .any(|s| pushed.stderr.contains(s));
        report.lost_races += usize::from(rejected);
        if !rejected || Instant::now() + wait >= deadline {
            ctx.out.detail(pushed.stderr.trim_end());
            let error = unreachable(&remote, "push to", &pushed);
            return Err(if rejected {
                Error::runtime(format!(
                    "could not push to {remote}: teammates pushed first {} within {}s",
                    plural(report.lost_races, "time"),
                    network_timeout.as_secs()
                ))
                .with_hint(SAFE)
            } else {
                error
            });
        }
        // Apart, so that clones that lost together do not collide again together.
        std::thread::sleep(wait.mul_f64(rand::random_range(0.5..1.5)));
        wait = (wait * 2).min(MAX_RACE_WAIT);
    }
}

/// What the events a merge brought need people to know: events dated ahead of this clock (the
/// author's clock is fast: their status changes would outvote later ones), and clashes the
/// fold finds (an incident opened twice, status or severity changed at once).
fn check_pulled(ctx: &Context, id: &IncidentId, new: &HashSet<&String>, report: &mut SyncReport) -> Result<()> {
    let events = ctx.store.dir(id.clone()).timeline().read()?.events;
    let now = ctx.clock.now();
    let mut ahead: BTreeMap<&str, chrono::TimeDelta> = BTreeMap::new();
    for event in events.iter().filter(|e| new.contains(&e.id)) {
        let by = event.latest_time() - now;
        if by > crate::time::CLOCK_TOLERANCE {
            let slot = ahead.entry(event.author.as_str()).or_default();
            *slot = (*slot).max(by);
        }
    }
    for (author, by) in ahead {
        report.future_dated.push(FutureDated {
            incident: id.to_string(),
            author: author.to_string(),
            ahead_secs: by.num_seconds(),
        });
    }
    let incident = crate::model::Incident::from_events(id.as_str(), &events);
    if incident.is_some_and(|i| !i.opened_twice.is_empty() || !i.conflicts.is_empty())
        && !report.clashes.contains(&id.to_string())
    {
        report.clashes.push(id.to_string());
    }
    Ok(())
}

/// Events from another clone dated ahead of this clock.
#[derive(Debug, Serialize)]
pub struct FutureDated {
    pub incident: String,
    pub author: String,
    /// The furthest ahead of this clock one of their events is, in seconds.
    pub ahead_secs: i64,
}

/// How far HEAD and the remote branch have gone apart: (commits only here, commits only
/// there), from one git process; `None` when either does not exist yet.
fn divergence(git: &Git, tracking: &str) -> Result<Option<(usize, usize)>> {
    let output =
        git.output(&["rev-list", "--left-right", "--count", &format!("HEAD...{tracking}")], git::LOCAL_TIMEOUT)?;
    if !output.success {
        return Ok(None);
    }
    let mut counts = output.stdout.split_whitespace().map(|n| n.parse::<usize>().unwrap_or(0));
    Ok(Some((counts.next().unwrap_or(0), counts.next().unwrap_or(0))))
}

const SAFE: &str = "your events are safe: they are committed in the store's repository; run `incident sync` again once the remote is reachable";

/// The error for a fetch or push that failed: local work is safe, the next sync retries.
fn unreachable(remote: &str, what: &str, output: &GitOutput) -> Error {
    Error::runtime(format!("could not {what} {remote}: {}", output.reason())).with_hint(SAFE)
}

/// A fetch or push that could not run or timed out: local work is just as safe.
fn safe(error: Error) -> Error {
    error.with_hint(SAFE)
}

/// Whether the store is the top of its own repository (not a folder inside another one).
fn is_own_repository(git: &Git, root: &std::path::Path) -> Result<bool> {
    if !root.is_dir() {
        return Ok(false);
    }
    let output = git.output(&["rev-parse", "--show-toplevel"], git::LOCAL_TIMEOUT)?;
    if !output.success {
        return Ok(false);
    }
    let top = PathBuf::from(output.stdout.trim());
    let same = |a: &std::path::Path, b: &std::path::Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    Ok(same(&top, root))
}

/// Registers the timeline merge driver in the repository's own config (git never takes merge
/// drivers from the repository's content, so every clone registers its own; each sync does it
/// again, which also follows the binary when it moves).
fn register_merge_driver(git: &Git, config: &Config) -> Result<()> {
    // The absolute path of this binary, not the bare name `incident`: git runs the driver
    // through `sh` with the PATH of whoever runs `git pull` (an IDE, cron, a shell without
    // ~/.cargo/bin), where `incident` may be missing or be another, older build. The path
    // names exactly the build that wrote this store's events. If it goes away, git reports a
    // conflict rather than merging wrongly, and the next `incident sync` writes the new path.
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| Error::runtime(format!("cannot tell where this binary is: {e}")))?;
    let exe = exe.to_str().ok_or_else(|| {
        Error::runtime(format!("the path of this binary is not UTF-8: {}", exe.display()))
            .with_hint("install incident under a plain path")
    })?;
    let driver = format!("{} merge-timeline %O %A %B --path %P", crate::process::shell_quote(exe));
    let name_key = format!("merge.{MERGE_DRIVER}.name");
    let driver_key = format!("merge.{MERGE_DRIVER}.driver");
    if config.get(&driver_key).as_deref() != Some(driver.as_str()) {
        git.run(&["config", &name_key, "incident timelines: the union of their events"])?;
        git.run(&["config", &driver_key, &driver])?;
    }
    Ok(())
}

/// Commits are authored by the responder (`INCIDENT_AUTHOR`, else git's `user.name`); git
/// needs an email too, which a responder may never have configured.
fn set_identity(ctx: &Context, git: &mut Git, config: &Config) {
    let author = ctx.author().to_string();
    git.set_env("GIT_AUTHOR_NAME", &author);
    if std::env::var_os("GIT_COMMITTER_NAME").is_none() && config.get("user.name").is_none() {
        git.set_env("GIT_COMMITTER_NAME", &author);
    }
    if config.get("user.email").is_none() {
        // `.invalid` is reserved: it says plainly that this is no one's address.
        let email = format!("{}@incident.invalid", crate::model::slugify(&author, 40));
        for var in ["GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"] {
            if std::env::var_os(var).is_none() {
                git.set_env(var, &email);
            }
        }
    }
}

/// Repairs what a killed git or a plain `git pull` left behind, so that this sync (and every
/// later one) can go on without anyone repairing by hand: a stale `index.lock`, the temporary
/// files of a killed merge, and timelines left conflicted, which get the union of their two
/// sides (committing git's conflict markers would put them on every clone for good). Anything
/// else left unmerged stops the sync with its paths named. Run under every timeline's lock.
fn heal(ctx: &Context, git: &Git, report: &mut SyncReport) -> Result<()> {
    let root = ctx.store.root();
    if crate::store::clear_stale_index_lock(root)? {
        report.repaired.push("removed a stale .git/index.lock (a git that was killed left it)".to_string());
    }
    for name in crate::store::remove_merge_leftovers(root)? {
        report.repaired.push(format!("removed {name} (left by a merge that was killed)"));
    }
    let git_dir = root.join(".git");
    if ["rebase-merge", "rebase-apply"].iter().any(|d| git_dir.join(d).exists()) {
        return Err(Error::runtime(format!("a git rebase is in progress in the store {}", root.display())).with_hint(
            "finish it (`git rebase --continue`) or abort it (`git rebase --abort`) there, then sync again",
        ));
    }
    let merging = git_dir.join("MERGE_HEAD").exists();
    let unmerged = if merging || git_dir.join("CHERRY_PICK_HEAD").exists() || git_dir.join("AUTO_MERGE").exists() {
        git.run(&["diff", "--name-only", "-z", "--diff-filter=U"])?
    } else {
        String::new()
    };
    let unmerged: Vec<&str> = unmerged.split('\0').filter(|p| !p.is_empty()).collect();
    let timeline_of = |path: &str| {
        path.strip_suffix(&format!("/{}", crate::store::TIMELINE_FILE)).and_then(|id| IncidentId::parse(id).ok())
    };
    let others: Vec<&str> = unmerged.iter().copied().filter(|p| timeline_of(p).is_none()).collect();
    if !others.is_empty() {
        return Err(Error::runtime(format!(
            "the store's repository has unmerged paths that are not timelines: {}",
            others.join(", ")
        ))
        .with_hint(format!(
            "nothing was committed; resolve them with git in {} (or `git merge --abort`), then sync again",
            root.display()
        )));
    }
    for path in unmerged {
        let Some(id) = timeline_of(path) else { continue };
        let side = |stage: u8| {
            git.output(&["show", &format!(":{stage}:{path}")], git::LOCAL_TIMEOUT)
                .map(|o| if o.success { o.stdout.into_bytes() } else { Vec::new() })
        };
        let (ours, theirs) = (side(2)?, side(3)?);
        crate::store::write_union(ctx.store.dir(id).timeline().path(), &ours, &theirs)?;
        report.repaired.push(format!("{path}: a conflicted merge resolved as the union of both sides"));
    }
    if merging {
        report.repaired.push("finished a merge git had left unfinished".to_string());
    }
    Ok(())
}

/// Commits whatever changed in the store (new events, artifacts, new incidents), and finishes
/// a merge `heal` resolved. A store with nothing new costs one git process.
fn commit_local(ctx: &Context, git: &Git, report: &mut SyncReport) -> Result<()> {
    let merging = ctx.store.root().join(".git").join("MERGE_HEAD").exists();
    let status = git.run(&["status", "--porcelain", "-z", "--untracked-files=all"])?;
    if status.is_empty() && !merging {
        return Ok(());
    }
    git.run(&["add", "--all"])?;
    let mut events = 0;
    let mut incidents = Vec::new();
    let mut markers = false;
    for line in git.run(&["diff", "--cached", "--numstat"])?.lines() {
        let mut fields = line.split('\t');
        let (Some(added), Some(_), Some(path)) = (fields.next(), fields.next(), fields.next()) else { continue };
        if let Some(id) = path.strip_suffix(&format!("/{}", crate::store::TIMELINE_FILE)) {
            events += added.parse::<usize>().unwrap_or(0);
            incidents.push(id.to_string());
        }
        markers |= path.ends_with(&format!("/{}", crate::store::DELIVERY_LOG_FILE));
    }
    if incidents.is_empty() && !markers && events == 0 && !merging && git.check(&["diff", "--cached", "--quiet"])? {
        return Ok(());
    }
    if merging {
        // What the index adds to HEAD is the other side's events, not ours.
        events = 0;
    }
    let message = if merging {
        format!("incident sync: {}: finish a merge left unfinished", ctx.author())
    } else if incidents.is_empty() && markers {
        format!("incident sync: {}: notification markers", ctx.author())
    } else if incidents.is_empty() {
        format!("incident sync: {}: store settings", ctx.author())
    } else {
        format!("incident sync: {} recorded {} in {}", ctx.author(), plural(events, "event"), incidents.join(", "))
    };
    git.run(&["commit", "--quiet", "--no-verify", "-m", &message])?;
    report.commits.push(git.run(&["rev-parse", "HEAD"])?.trim().to_string());
    report.committed_events += events;
    Ok(())
}

fn merge(git: &Git, tracking: &str, remote: &str, report: &mut SyncReport) -> Result<()> {
    let head = git.output(&["rev-parse", "--verify", "--quiet", "HEAD"], git::LOCAL_TIMEOUT)?.stdout;
    let message = format!("incident sync: merge {remote}");
    let merged = git.output(
        &["merge", "--quiet", "--no-edit", "--allow-unrelated-histories", "-m", &message, tracking],
        git::LOCAL_TIMEOUT,
    )?;
    if !merged.success {
        let conflicts = git.run(&["diff", "--name-only", "--diff-filter=U"]).unwrap_or_default();
        let _ = git.output(&["merge", "--abort"], git::LOCAL_TIMEOUT);
        let conflicts: Vec<&str> = conflicts.lines().collect();
        let what =
            if conflicts.is_empty() { merged.reason() } else { format!("conflicts in {}", conflicts.join(", ")) };
        return Err(Error::runtime(format!("could not merge {remote} into the store: {what}")).with_hint(format!(
            "your events are committed and nothing was changed; resolve it with git in {}",
            report.store.display()
        )));
    }
    // A fast-forward makes no commit of ours; a merge commit has a second parent.
    let new_head = git.run(&["rev-parse", "HEAD"])?;
    if new_head != head && git.check(&["rev-parse", "--verify", "--quiet", "HEAD^2"])? {
        report.commits.push(new_head.trim().to_string());
    }
    Ok(())
}

/// Every timeline's write lock, in id order (one order everywhere, so no deadlock). While they
/// are held, read timelines through them, not with `Timeline::read`.
fn lock_all(store: &Store) -> Result<Vec<(IncidentId, TimelineLock)>> {
    store.ids()?.into_iter().map(|id| Ok((id.clone(), store.dir(id).timeline().lock()?))).collect()
}

/// Event ids by incident (taking no lock of ours: call it without `lock_all` held).
fn event_ids(store: &Store) -> Result<HashMap<IncidentId, HashSet<String>>> {
    let mut all = HashMap::new();
    for id in store.ids()? {
        let read = store.dir(id.clone()).timeline().read()?;
        all.insert(id, read.events.into_iter().map(|e| e.id).collect());
    }
    Ok(all)
}

/// `1 event`, `2 events`.
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}
