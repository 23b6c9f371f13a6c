//! The secret corpus: secrets planted in every path a command takes in (environment, argv,
//! command output, a line cut at 64 KiB, logs, typed notes, titles and hypotheses, headers and
//! URLs), then every byte written (store, artifacts, the git remote synced to, stdout and
//! stderr of every command, `run`'s streamed output included) searched for them: none may be found.

use std::path::Path;
use std::process::Output;

use crate::harness::Env;

const ENV_TOKEN: &str = "planted-env-token-7f3a9c";
const GITHUB: &str = "ghp_PlantedGithubToken0123456789abcdefXYZ";
const AWS: &str = "AKIAPLANTED0EXAMPLE7";
const SLACK: &str = "xoxb-112233445566-PlantedSlackTok";
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.PlantedJwtSignature_0123456789";
const KEY_BODY: [&str; 2] = ["b3BlbnNzaC1rZXktdjEAAAAAPlantedKeyLineOne", "QyNTUxOQAAACDxPlantedKeyLineTwo"];
const LOG_PASSWORD: &str = "planted-log-password-55";
const ARGV_PASSWORD: &str = "planted-argv-password-66";
const GLUED_PASSWORD: &str = "PlantedGluedMysqlPw";
const BEARER: &str = "planted-bearer-credential-77";
const URL_PASSWORD: &str = "planted-url-password-88";
/// In a webhook's URL: notifications that cannot be sent wait in the outbox, in the store.
const HOOK_SECRET: &str = "planted-hook-secret-99";

fn private_key() -> String {
    format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n{}\n-----END OPENSSH PRIVATE KEY-----", KEY_BODY[0], KEY_BODY[1])
}

fn planted() -> Vec<&'static str> {
    let mut all =
        vec![ENV_TOKEN, GITHUB, AWS, SLACK, JWT, LOG_PASSWORD, ARGV_PASSWORD, GLUED_PASSWORD, BEARER, URL_PASSWORD];
    all.extend(KEY_BODY);
    all
}

/// Every planted secret found in `bytes`.
fn found_in(bytes: &[u8]) -> Vec<&'static str> {
    let haystack = String::from_utf8_lossy(bytes);
    planted().into_iter().filter(|secret| haystack.contains(secret)).collect()
}

/// Every planted secret found in any file under `dir`, with the file.
fn found_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for path in walk(dir) {
        let bytes = std::fs::read(&path).unwrap_or_default();
        found.extend(found_in(&bytes).into_iter().map(|s| format!("{s} in {}", path.display())));
    }
    found
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
}

fn git(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .output()
        .expect("git ran")
}

#[test]
fn no_planted_secret_reaches_any_byte_written() {
    let env = Env::new();
    // The store and a webhook through incident.toml; port 9 refuses, so notifications queue.
    std::fs::write(
        env.path().join("incident.toml"),
        "store = \"store\"\n\n[[notify]]\nname = \"team\"\nkind = \"slack\"\nurl_env = \"TEAM_HOOK\"\n",
    )
    .expect("incident.toml");
    let mut leaks: Vec<String> = Vec::new();
    let mut run = |args: &[&str], check_stdout: bool| {
        let mut cmd = env.cmd();
        cmd.env_remove("INCIDENT_STORE").env("TEAM_HOOK", format!("http://127.0.0.1:9/hook/{HOOK_SECRET}"));
        cmd.env("API_TOKEN", ENV_TOKEN).env("DEPLOY_KEY", private_key()).env("GH", GITHUB);
        cmd.env("GIT_CONFIG_NOSYSTEM", "1").env("GIT_COMMITTER_NAME", "t").env("GIT_COMMITTER_EMAIL", "t@x.invalid");
        let out = cmd.args(args).output().expect("ran");
        for secret in found_in(&out.stderr) {
            leaks.push(format!("{secret} on the stderr of {args:?}"));
        }
        if check_stdout {
            for secret in found_in(&out.stdout) {
                leaks.push(format!("{secret} on the stdout of {args:?}"));
            }
        }
        out
    };

    let log = env.path().join("app.log");
    std::fs::write(
        &log,
        format!(
            "2026-11-22T14:00:00Z ERROR login failed password={LOG_PASSWORD} token {GITHUB}\n\
             2026-11-22T14:00:01Z ERROR Authorization: Bearer {BEARER} from {SLACK}\n"
        ),
    )
    .expect("log");
    let remote = env.path().join("remote.git");
    std::fs::create_dir_all(&remote).expect("mkdir");
    assert!(git(&remote, &["init", "--quiet", "--bare"]).status.success());

    // Typed text: a title, a note, a status note and a hypothesis holding secrets.
    run(&["open", &format!("Leak {GITHUB}"), "-s", "sev2", "--no-walk"], true);
    run(&["note", &format!("pasted {ENV_TOKEN} and {AWS} and {JWT}")], true);
    run(&["status", "mitigated", "--note", &format!("rotated password: {LOG_PASSWORD}")], true);
    run(&["hypothesis", "add", &format!("the key {} leaked", KEY_BODY[0])], true);
    // A command's argv and output: env values, token shapes, a private key, headers, URLs, and a
    // secret straddling the 64 KiB line cut.
    let script = format!(
        "echo \"$API_TOKEN $GH {AWS}\"; echo \"$DEPLOY_KEY\"; echo 'Authorization: Bearer {BEARER}'; \
         echo 'https://bob:{URL_PASSWORD}@db.example/x'; printf '%65530s' ' '; echo \"$API_TOKEN tail\""
    );
    run(&["run", "--", "sh", "-c", &script, "--password", ARGV_PASSWORD, &format!("-p{GLUED_PASSWORD}")], true);
    // Logs searched and recorded.
    run(&["grep", "--record", "ERROR", log.to_str().unwrap_or_default()], false);
    // Every printing command.
    for args in [&["timeline"][..], &["timeline", "--json"], &["show", "--json"], &["postmortem"], &["list"]] {
        run(args, true);
    }
    // Shared through git.
    run(&["sync", "--init", remote.to_str().unwrap_or_default()], true);
    run(&["notify", "flush"], true);
    let outbox: Vec<_> = walk(&env.store()).into_iter().filter(|p| p.to_string_lossy().contains("outbox")).collect();
    assert!(!outbox.is_empty(), "notifications were queued in the outbox");

    leaks.extend(found_under(&env.store()));
    let clone = env.path().join("clone");
    assert!(git(env.path(), &["clone", "--quiet", remote.to_str().unwrap_or_default(), "clone"]).status.success());
    let history = git(&clone, &["log", "--all", "-p"]);
    assert!(history.status.success() && !history.stdout.is_empty(), "the remote got the store");
    leaks.extend(found_in(&history.stdout).into_iter().map(|s| format!("{s} in the remote's history")));
    leaks.extend(found_under(&clone).into_iter().filter(|l| !l.contains("/.git/")));

    assert!(leaks.is_empty(), "{} leaks:\n{}", leaks.len(), leaks.join("\n"));
    // And the masking says what it hid.
    let timeline =
        String::from_utf8_lossy(&env.cmd().args(["timeline", "--json"]).output().expect("ran").stdout).into_owned();
    for shown in ["[masked:github-token]", "[masked:aws-access-key]", "[masked:jwt]", "[masked:password]"] {
        assert!(timeline.contains(shown), "{shown} missing from:\n{timeline}");
    }
}
