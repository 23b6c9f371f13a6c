//! Container and pod names turned into what to read: the files the runtime writes, when they
//! are on disk and readable, else the runtime's CLI (`docker logs`, `kubectl logs`) when it is
//! installed.
//!
//! - Docker: each `ROOT/ID/config.v2.json` gives the container's `Name` (`/web`) and `LogPath`
//!   (`ROOT/ID/ID-json.log`, rotated as `.1`, `.2`, ... and maybe gzipped). ROOT is
//!   `/var/lib/docker/containers`, or `INCIDENT_DOCKER_ROOT`.
//! - Kubernetes: `ROOT/NAMESPACE_POD_UID/CONTAINER/N.log` (N counts restarts), rotated by the
//!   kubelet as `N.log.20261124-060000` and `.gz`. ROOT is `/var/log/pods`, or
//!   `INCIDENT_PODS_ROOT`.

use std::path::{Path, PathBuf};

use super::wrapper::Wrapper;
use crate::logsearch::Window;
use crate::logsearch::command::CommandSource;

const DOCKER_ROOT: &str = "/var/lib/docker/containers";
const PODS_ROOT: &str = "/var/log/pods";
/// A container's config.v2.json is a few KiB; anything far larger is not one.
const CONFIG_LIMIT: u64 = 4 << 20;

/// A container or pod given by name: `container:NAME` or `pod:NAMESPACE/POD[/CONTAINER]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    Container(String),
    Pod { namespace: String, pod: String, container: Option<String> },
}

impl Named {
    /// The source an argument names, if it uses one of the prefixes; `Err` says what is wrong
    /// with it.
    pub fn parse(arg: &str) -> Option<Result<Named, String>> {
        if let Some(name) = arg.strip_prefix("container:") {
            return Some(if name.is_empty() || name.contains('/') {
                Err(format!("{arg}: give a container's name or ID after container:"))
            } else {
                Ok(Named::Container(name.to_string()))
            });
        }
        let spec = arg.strip_prefix("pod:")?;
        let parts: Vec<&str> = spec.split('/').collect();
        Some(match parts.as_slice() {
            [namespace, pod] | [namespace, pod, _] if !namespace.is_empty() && !pod.is_empty() => Ok(Named::Pod {
                namespace: namespace.to_string(),
                pod: pod.to_string(),
                container: parts.get(2).filter(|c| !c.is_empty()).map(|c| c.to_string()),
            }),
            _ => Err(format!("{arg}: a pod is pod:NAMESPACE/POD or pod:NAMESPACE/POD/CONTAINER")),
        })
    }

    pub fn name(&self) -> String {
        match self {
            Named::Container(name) => format!("container:{name}"),
            Named::Pod { namespace, pod, container: None } => format!("pod:{namespace}/{pod}"),
            Named::Pod { namespace, pod, container: Some(c) } => format!("pod:{namespace}/{pod}/{c}"),
        }
    }
}

/// Where the runtimes keep their logs.
#[derive(Debug, Clone)]
pub struct Roots {
    pub docker: PathBuf,
    pub pods: PathBuf,
}

impl Roots {
    /// The standard places, or `INCIDENT_DOCKER_ROOT` and `INCIDENT_PODS_ROOT`.
    pub fn from_env() -> Roots {
        let root =
            |var: &str, default: &str| std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
        Roots { docker: root("INCIDENT_DOCKER_ROOT", DOCKER_ROOT), pods: root("INCIDENT_PODS_ROOT", PODS_ROOT) }
    }
}

/// What a name comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Log files on disk, oldest first.
    Files(Vec<PathBuf>),
    /// The runtime's CLI.
    Command(CommandSource),
}

/// Finds the files of a named container or pod under `roots`; when there are none (or they
/// cannot be read) and the runtime's CLI is on `PATH`, reads through it. `Err` says where it
/// looked.
pub fn resolve(named: &Named, roots: &Roots, window: Window) -> Result<Resolved, String> {
    let (found, looked) = match named {
        Named::Container(name) => (docker_files(&roots.docker, name), &roots.docker),
        Named::Pod { namespace, pod, container } => {
            (pod_files(&roots.pods, namespace, pod, container.as_deref()), &roots.pods)
        }
    };
    let why = match found {
        Ok(files) if !files.is_empty() => return Ok(Resolved::Files(files)),
        Ok(_) => format!("no such {} under {}", kind(named), looked.display()),
        Err(e) => format!("cannot read {}: {e}", looked.display()),
    };
    let source = cli_source(named, window);
    if crate::process::on_path(&source.program) {
        return Ok(Resolved::Command(source));
    }
    Err(format!("{}: {why}, and no {} on PATH to ask", named.name(), source.program))
}

fn kind(named: &Named) -> &'static str {
    match named {
        Named::Container(_) => "container",
        Named::Pod { .. } => "pod",
    }
}

/// `docker logs` / `kubectl logs` with timestamps, the window pushed down as far as each allows.
pub fn cli_source(named: &Named, window: Window) -> CommandSource {
    let stamp = |t: i64| {
        chrono::DateTime::from_timestamp_micros(t)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            .unwrap_or_default()
    };
    match named {
        Named::Container(name) => {
            let mut args = vec!["logs".to_string(), "--timestamps".to_string()];
            if let Some(since) = window.since {
                args.push(format!("--since={}", stamp(since)));
            }
            if let Some(until) = window.until {
                // docker's --until is exclusive to the second at worst: widen, the search decides.
                args.push(format!("--until={}", stamp(until + 1_000_000)));
            }
            args.push("--".into());
            args.push(name.clone());
            CommandSource {
                name: named.name(),
                program: "docker".into(),
                args,
                wrapper: Some(Wrapper::Timestamped),
                needed_for: "container: names not found on disk are read through `docker logs`".into(),
            }
        }
        Named::Pod { namespace, pod, container } => {
            let mut args = vec![
                "logs".to_string(),
                format!("--namespace={namespace}"),
                "--timestamps".to_string(),
                "--request-timeout=30s".to_string(),
            ];
            match container {
                Some(c) => args.push(format!("--container={c}")),
                None => args.push("--all-containers=true".into()),
            }
            if let Some(since) = window.since {
                args.push(format!("--since-time={}", stamp(since)));
            }
            args.push("--".into());
            args.push(pod.clone());
            CommandSource {
                name: named.name(),
                program: "kubectl".into(),
                args,
                wrapper: Some(Wrapper::Timestamped),
                needed_for: "pod: names not found on disk are read through `kubectl logs`".into(),
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct DockerConfig {
    #[serde(rename = "ID", default)]
    id: String,
    #[serde(rename = "Name", default)]
    name: String,
    #[serde(rename = "LogPath", default)]
    log_path: String,
}

/// The json-file logs of the container with this name (or ID prefix), oldest first.
fn docker_files(root: &Path, wanted: &str) -> std::io::Result<Vec<PathBuf>> {
    for entry in std::fs::read_dir(root)? {
        let dir = entry?.path();
        let Some(config) = read_config(&dir.join("config.v2.json")) else { continue };
        let named = config.name.trim_start_matches('/') == wanted;
        let by_id = wanted.len() >= 4 && config.id.starts_with(wanted);
        if !(named || by_id) {
            continue;
        }
        let live = if config.log_path.is_empty() {
            dir.join(format!("{}-json.log", config.id))
        } else {
            PathBuf::from(config.log_path)
        };
        let mut files: Vec<PathBuf> = Vec::new();
        if let (Some(parent), Some(stem)) = (live.parent(), live.file_name()) {
            let stem = stem.to_string_lossy().into_owned();
            for entry in std::fs::read_dir(parent)? {
                let path = entry?.path();
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if name == stem || name.strip_prefix(&stem).is_some_and(|rest| rest.starts_with('.')) {
                    files.push(path);
                }
            }
        }
        let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        return Ok(crate::logsearch::files::expand(&names).files);
    }
    Ok(Vec::new())
}

fn read_config(path: &Path) -> Option<DockerConfig> {
    use std::io::Read;
    let mut text = Vec::new();
    std::fs::File::open(path).ok()?.take(CONFIG_LIMIT).read_to_end(&mut text).ok()?;
    serde_json::from_slice(&text).ok()
}

/// The CRI logs of a pod (every UID it had under this name), one container or all, each
/// container's files oldest first: restarts in order, rotated files before the live one.
fn pod_files(root: &Path, namespace: &str, pod: &str, container: Option<&str>) -> std::io::Result<Vec<PathBuf>> {
    let prefix = format!("{namespace}_{pod}_");
    let mut pod_dirs: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(root)? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // Names and namespaces are DNS labels (no `_`): the UID is all that follows.
        if name.strip_prefix(&prefix).is_some_and(|uid| !uid.is_empty() && !uid.contains('_')) && path.is_dir() {
            pod_dirs.push(path);
        }
    }
    pod_dirs.sort();
    let mut files = Vec::new();
    for pod_dir in pod_dirs {
        let mut containers: Vec<PathBuf> = std::fs::read_dir(&pod_dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .filter(|p| container.is_none_or(|c| p.file_name().is_some_and(|n| n == c)))
            .collect();
        containers.sort();
        for dir in containers {
            let mut logs: Vec<(u64, u8, String, PathBuf)> = Vec::new();
            for entry in std::fs::read_dir(&dir)? {
                let path = entry?.path();
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let Some((restart, rest)) = name.split_once(".log") else { continue };
                let Ok(restart) = restart.parse::<u64>() else { continue };
                // `N.log` is live (last); `N.log.20261124-060000[.gz]` sort by their date.
                match rest.strip_prefix('.') {
                    None if rest.is_empty() => logs.push((restart, 1, String::new(), path)),
                    Some(date) => logs.push((restart, 0, date.to_string(), path)),
                    None => {}
                }
            }
            logs.sort();
            files.extend(logs.into_iter().map(|(_, _, _, p)| p));
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_with_their_prefixes_and_bad_ones_say_the_form() {
        assert_eq!(Named::parse("container:web"), Some(Ok(Named::Container("web".into()))));
        assert_eq!(
            Named::parse("pod:prod/api-7d9/app"),
            Some(Ok(Named::Pod { namespace: "prod".into(), pod: "api-7d9".into(), container: Some("app".into()) }))
        );
        assert!(Named::parse("pod:api").unwrap().unwrap_err().contains("pod:NAMESPACE/POD"));
        assert_eq!(Named::parse("/var/log/app.log"), None);
    }

    #[test]
    fn the_cli_gets_the_window_and_the_name_after_a_double_dash() {
        let window = Window { since: Some(1_795_500_000_000_000), until: None };
        let source = cli_source(&Named::parse("pod:prod/api").unwrap().unwrap(), window);
        assert_eq!(
            source.argv(),
            [
                "kubectl",
                "logs",
                "--namespace=prod",
                "--timestamps",
                "--request-timeout=30s",
                "--all-containers=true",
                "--since-time=2026-11-24T06:00:00.000000Z",
                "--",
                "api"
            ]
        );
    }
}
