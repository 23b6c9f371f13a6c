//! `incident grep` on container logs: Docker json-file and CRI files searched as the lines the
//! container wrote (the wrapper neither matched nor shown), containers and pods found by name
//! under a root given by INCIDENT_DOCKER_ROOT / INCIDENT_PODS_ROOT, and `docker logs` used when
//! the files are not there. The Docker CLI here has no daemon to talk to, so a stand-in script on
//! PATH plays `docker logs --timestamps`; that test shows the arguments and the parsing only.

use std::path::Path;

use crate::harness::{Env, text};

const ID: &str = "4f66ad9a0b2e8e2f4a6f1f5e7c1d3b2a9e8f7d6c5b4a39281706f5e4d3c2b1a0";

/// One json-file line as Docker's json-file driver writes it.
fn docker_line(time: &str, stream: &str, log: &str) -> String {
    serde_json::json!({ "log": log, "stream": stream, "time": time }).to_string() + "\n"
}

/// A container `web` under `root`: its config and a live log, plus one rotated file before it.
fn docker_root(env: &Env) -> std::path::PathBuf {
    let root = env.path().join("containers");
    let dir = root.join(ID);
    let log = dir.join(format!("{ID}-json.log"));
    env.write(
        &format!("containers/{ID}/config.v2.json"),
        serde_json::json!({ "ID": ID, "Name": "/web", "LogPath": log.display().to_string() }).to_string(),
    );
    env.write(
        &format!("containers/{ID}/{ID}-json.log.1"),
        docker_line("2026-11-24T05:58:00.000000001Z", "stdout", "GET /old 502 upstream=b\n"),
    );
    let mut live = String::new();
    live.push_str(&docker_line("2026-11-24T06:00:00.100000000Z", "stdout", "GET /health 200\n"));
    live.push_str(&docker_line("2026-11-24T06:01:00.200000000Z", "stderr", "GET /api 502 upstream=a\n"));
    // A line longer than Docker's 16 KiB buffer comes in parts; only the last ends in \n.
    live.push_str(&docker_line("2026-11-24T06:02:00.300000000Z", "stderr", "GET /big 502 "));
    live.push_str(&docker_line("2026-11-24T06:02:00.300000100Z", "stderr", "upstream=b\n"));
    live.push_str(&docker_line(
        "2026-11-24T06:03:00Z",
        "stdout",
        "{\"level\":\"error\",\"msg\":\"db down\",\"status\":503}\n",
    ));
    env.write(&format!("containers/{ID}/{ID}-json.log"), live);
    root
}

fn grep(env: &Env, root: &Path, args: &[&str]) -> (String, String, i32) {
    let output = env
        .cmd()
        .env("INCIDENT_DOCKER_ROOT", root)
        .env("INCIDENT_PODS_ROOT", env.path().join("pods"))
        .arg("grep")
        .args(args)
        .output()
        .expect("run incident");
    (text(&output.stdout), text(&output.stderr), output.status.code().unwrap_or(-1))
}

#[test]
fn docker_json_lines_are_matched_on_the_message_never_the_wrapper() {
    let env = Env::new();
    let root = docker_root(&env);
    let live = root.join(ID).join(format!("{ID}-json.log"));
    let live = live.display().to_string();
    // Every line's wrapper holds these words; no message does.
    for wrapper_only in ["\"stream\":", "stderr", "\"log\":", "\"time\":"] {
        let (out, _, code) = grep(&env, &root, &["-F", wrapper_only, &live]);
        assert_eq!((out.as_str(), code), ("", 1), "{wrapper_only} matched the wrapper");
    }
    // The two parts of the long line are one record, with the time of its first part.
    let (out, _, code) = grep(&env, &root, &["502", &live]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "2026-11-24T06:01:00.200Z GET /api 502 upstream=a\n2026-11-24T06:02:00.300Z GET /big 502 upstream=b\n"
    );
}

#[test]
fn a_container_name_finds_its_rotated_logs_and_the_window_uses_the_wrappers_time() {
    let env = Env::new();
    let root = docker_root(&env);
    let (out, _, code) = grep(&env, &root, &["-c", "502", "container:web"]);
    assert_eq!((out.as_str(), code), ("3\n", 0), "the rotated file is searched too");
    let (out, _, _) = grep(
        &env,
        &root,
        &["502", "container:web", "--since", "2026-11-24T06:02:00Z", "--until", "2026-11-24T06:03:00Z"],
    );
    assert!(out.ends_with("GET /big 502 upstream=b\n") && out.lines().count() == 1, "{out}");
    // The ID's prefix names it as well.
    let (out, _, _) = grep(&env, &root, &["-c", "health", &format!("container:{}", &ID[..12])]);
    assert_eq!(out, "1\n");
}

#[test]
fn field_filters_apply_to_the_json_a_container_logs_inside_the_wrapper() {
    let env = Env::new();
    let root = docker_root(&env);
    let (out, _, code) = grep(&env, &root, &["", "container:web", "--where", "status>=500"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.ends_with("-json.log:2026-11-24T06:03:00Z ERROR db down status=503\n"), "{out}");
}

#[test]
fn a_pods_cri_logs_join_partial_lines_and_cover_every_container_and_restart() {
    let env = Env::new();
    let pods = env.path().join("pods");
    let uid = "prod_api-7d9f_0a1b2c3d-1111-2222-3333-444455556666";
    env.write(
        &format!("pods/{uid}/app/0.log"),
        "2026-11-24T06:00:00.000000001Z stdout F starting\n\
         2026-11-24T06:01:00.000000001Z stderr F panic: out of memory\n",
    );
    env.write(
        &format!("pods/{uid}/app/1.log"),
        "2026-11-24T06:02:00.5Z stdout P a line cut by the runtime \n\
         2026-11-24T06:02:00.6Z stdout F and its end: panic again\n\
         2026-11-24T06:03:00Z stdout F ready\n",
    );
    env.write(&format!("pods/{uid}/sidecar/0.log"), "2026-11-24T06:04:00Z stdout F proxy panic\n");
    env.write("pods/other_api-7d9f_0a1b/app/0.log", "2026-11-24T06:00:00Z stdout F panic elsewhere\n");
    let root = env.path().join("containers");
    let (out, _, code) = grep(&env, &root, &["panic", "pod:prod/api-7d9f/app"]);
    assert_eq!(code, 0);
    let pod_dir = pods.join(uid).join("app");
    assert_eq!(
        out,
        format!(
            "{0}/0.log:2026-11-24T06:01:00Z panic: out of memory\n\
             {0}/1.log:2026-11-24T06:02:00.500Z a line cut by the runtime and its end: panic again\n",
            pod_dir.display()
        )
    );
    let (out, _, _) = grep(&env, &root, &["-c", "panic", "pod:prod/api-7d9f"]);
    assert_eq!(out, "3\n", "all containers of the pod, not the other namespace's");
    // The stream and tag words are the wrapper's: not matched.
    let (out, _, _) = grep(&env, &root, &["-c", "-w", "stdout|F", "pod:prod/api-7d9f"]);
    assert_eq!(out, "0\n");
}

#[test]
fn a_name_not_on_disk_says_where_it_looked_when_no_cli_can_ask() {
    let env = Env::new();
    let root = docker_root(&env);
    let output = env
        .cmd()
        .env("INCIDENT_DOCKER_ROOT", &root)
        .env("PATH", env.path().join("no-bin"))
        .args(["grep", "x", "container:db"])
        .output()
        .expect("run incident");
    assert_eq!(output.status.code(), Some(2));
    let err = text(&output.stderr);
    assert!(err.contains(&format!("container:db: no such container under {}", root.display())), "{err}");
    assert!(err.contains("no docker on PATH"), "{err}");
}

/// A stand-in for the Docker CLI: prints what `docker logs --timestamps` prints for a container
/// `api` (the container's stderr on its stderr) and keeps its arguments; fails like docker for
/// any other name.
fn fake_docker(env: &Env) -> std::path::PathBuf {
    let bin = env.path().join("bin");
    let script = env.write(
        "bin/docker",
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > {args}\n\
             eval \"name=\\${{$#}}\"\n\
             if [ \"$name\" != api ]; then echo \"Error response from daemon: No such container: $name\" >&2; exit 1; fi\n\
             echo '2026-11-24T06:00:00.000000001Z listening'\n\
             echo '2026-11-24T06:01:00.5Z upstream timed out' >&2\n\
             echo '2026-11-24T06:05:00Z upstream timed out again'\n",
            args = env.path().join("docker-args").display()
        ),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    bin
}

#[test]
fn without_files_the_docker_cli_is_asked_with_the_window_and_both_streams_are_searched() {
    let env = Env::new();
    let bin = fake_docker(&env);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let run = |args: &[&str]| {
        env.cmd()
            .env("INCIDENT_DOCKER_ROOT", env.path().join("nowhere"))
            .env("PATH", &path)
            .arg("grep")
            .args(args)
            .output()
            .expect("run incident")
    };
    let output =
        run(&["timed out", "container:api", "--since", "2026-11-24T06:00:30Z", "--until", "2026-11-24T06:02:00Z"]);
    assert_eq!(text(&output.stdout), "2026-11-24T06:01:00.500Z upstream timed out\n");
    assert_eq!(output.status.code(), Some(0));
    let args = std::fs::read_to_string(env.path().join("docker-args")).expect("the stand-in ran");
    assert_eq!(
        args,
        "logs\n--timestamps\n--since=2026-11-24T06:00:30.000000Z\n--until=2026-11-24T06:02:01.000000Z\n--\napi\n"
    );

    let output = run(&["x", "container:gone"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr)
            .contains("docker failed (exit status: 1): Error response from daemon: No such container: gone")
    );
}

#[test]
fn context_around_a_container_match_is_not_cut_by_separators_between_neighbours() {
    let env = Env::new();
    let log = env.write(
        "0.log",
        "2026-11-24T06:00:00Z stdout F connecting\n\
         2026-11-24T06:00:01Z stdout P refused: \n\
         2026-11-24T06:00:01Z stdout F retry later\n\
         2026-11-24T06:00:02Z stdout F giving up\n\
         2026-11-24T06:00:03Z stdout F idle\n\
         2026-11-24T06:00:04Z stdout F refused again\n",
    );
    let root = env.path().join("containers");
    let (out, _, code) = grep(&env, &root, &["-C", "1", "refused", &log.display().to_string()]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "2026-11-24T06:00:00Z connecting\n\
         2026-11-24T06:00:01Z refused: retry later\n\
         2026-11-24T06:00:02Z giving up\n\
         2026-11-24T06:00:03Z idle\n\
         2026-11-24T06:00:04Z refused again\n"
    );
}

/// A stand-in for kubectl (no cluster can run here): prints what `kubectl logs --timestamps`
/// prints for pod `shop/api` and keeps its arguments; fails like kubectl for any other pod.
fn fake_kubectl(env: &Env) -> std::path::PathBuf {
    let bin = env.path().join("bin");
    let script = env.write(
        "bin/kubectl",
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > {args}\n\
             eval \"name=\\${{$#}}\"\n\
             if [ \"$name\" != api ]; then echo \"Error from server (NotFound): pods \\\"$name\\\" not found\" >&2; exit 1; fi\n\
             echo '2026-11-24T06:00:00.000000001Z listening'\n\
             echo '2026-11-24T06:01:00.5Z upstream timed out'\n\
             echo '2026-11-24T06:05:00Z upstream timed out again'\n",
            args = env.path().join("kubectl-args").display()
        ),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    bin
}

#[test]
fn without_pod_files_kubectl_is_asked_from_the_windows_start_and_its_lines_are_records() {
    let env = Env::new();
    let bin = fake_kubectl(&env);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let run = |args: &[&str]| {
        env.cmd()
            .env("INCIDENT_PODS_ROOT", env.path().join("nowhere"))
            .env("PATH", &path)
            .arg("grep")
            .args(args)
            .output()
            .expect("run incident")
    };
    // kubectl logs has no --until: the window's end is applied to the records that come back.
    let output =
        run(&["timed out", "pod:shop/api", "--since", "2026-11-24T06:00:30Z", "--until", "2026-11-24T06:02:00Z"]);
    assert_eq!(text(&output.stdout), "2026-11-24T06:01:00.500Z upstream timed out\n", "{}", text(&output.stderr));
    assert_eq!(output.status.code(), Some(0));
    let args = std::fs::read_to_string(env.path().join("kubectl-args")).expect("the stand-in ran");
    assert_eq!(
        args,
        "logs\n--namespace=shop\n--timestamps\n--request-timeout=30s\n--all-containers=true\n\
         --since-time=2026-11-24T06:00:30.000000Z\n--\napi\n"
    );

    let output = run(&["-c", "timed out", "pod:shop/api/web"]);
    assert_eq!(text(&output.stdout).trim(), "2");
    let args = std::fs::read_to_string(env.path().join("kubectl-args")).expect("the stand-in ran");
    assert!(args.contains("--container=web\n") && !args.contains("--since-time"), "{args}");

    let output = run(&["x", "pod:shop/gone"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("pods \"gone\" not found"), "{}", text(&output.stderr));
}
