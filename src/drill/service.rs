//! The simulated system a drill runs against: an HTTP service on loopback, its log, and the
//! files its operators act on (a release pointer, a config and its reload trigger).

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Kind;
use crate::error::{Error, Result};

/// What a drill's folder is named after, in the temporary folder.
const DIR_PREFIX: &str = "incident-drill-";
/// Where the service keeps what it loaded at its last reload, so a resumed one loads the same.
const LOADED: &str = "loaded-upstream";

/// Whether `dir` is a drill's own folder (in the temporary folder, named by us): the only kind
/// a drill ever removes.
pub fn is_drill_dir(dir: &Path) -> bool {
    dir.parent() == Some(std::env::temp_dir().as_path())
        && dir.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(DIR_PREFIX))
}

/// When v2, the bad release, went out: a few minutes before the drill's start.
pub fn v2_deployed_at(started: DateTime<Utc>) -> String {
    hhmm(started - chrono::Duration::minutes(7))
}

fn hhmm(at: DateTime<Utc>) -> String {
    at.format("%H:%M UTC").to_string()
}

/// Removes an abandoned drill's folder; `false` when it is not a drill's or is gone already.
pub fn remove_dir(dir: &Path) -> bool {
    is_drill_dir(dir) && fs::remove_dir_all(dir).is_ok()
}

/// A running drill service. Dropping it stops the service and removes its folder.
pub struct Service {
    pub dir: PathBuf,
    pub port: u16,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Service {
    /// A new drill's service; its release history is told relative to `started` (the drill's
    /// start), as a real one would be.
    pub fn start(kind: Kind, started: DateTime<Utc>) -> Result<Service> {
        let dir = std::env::temp_dir().join(format!("{DIR_PREFIX}{}-{}", std::process::id(), ulid::Ulid::generate()));
        let setup = || -> std::io::Result<()> {
            fs::create_dir_all(dir.join("releases"))?;
            let history = format!(
                "{} v1 deployed\n{} v2 deployed (payment client 4.0)\n",
                hhmm(started - chrono::Duration::minutes(45)),
                v2_deployed_at(started)
            );
            fs::write(dir.join("releases/history"), history)?;
            fs::write(dir.join("releases/current"), if kind == Kind::BadDeploy { "v2\n" } else { "v1\n" })?;
            fs::create_dir_all(dir.join("config"))?;
            // The config on disk names the new database; the running service still uses the old,
            // decommissioned one until it is told to reload.
            fs::write(dir.join("config/upstream"), "db-new:5432\n")?;
            fs::write(dir.join("config/retry_policy"), "immediate\n")?;
            fs::write(dir.join("app.log"), "")
        };
        setup().map_err(|e| Error::io("cannot set up the drill in", &dir, &e))?;
        Service::serve_from(kind, dir)
    }

    /// The service of an interrupted drill brought back on its folder, as it was left: its
    /// release, its config, what it had loaded, its log. `None` when the folder is gone or is
    /// not a drill's.
    pub fn resume(kind: Kind, dir: &Path) -> Result<Option<Service>> {
        if !is_drill_dir(dir) || !dir.join("releases/current").is_file() {
            return Ok(None);
        }
        Service::serve_from(kind, dir.to_path_buf()).map(Some)
    }

    fn serve_from(kind: Kind, dir: PathBuf) -> Result<Service> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| Error::runtime(format!("cannot start the drill service on 127.0.0.1: {e}")))?;
        let port = listener.local_addr().map_err(|e| Error::runtime(e.to_string()))?.port();
        listener.set_nonblocking(true).map_err(|e| Error::runtime(e.to_string()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let loaded_upstream =
            fs::read_to_string(dir.join(LOADED)).map_or_else(|_| "db-old:5432".to_string(), |s| s.trim().to_string());
        let state = State { dir: dir.clone(), kind, loaded_upstream };
        let server = {
            let stop = stop.clone();
            std::thread::spawn(move || serve(listener, state, &stop))
        };
        let traffic = {
            let stop = stop.clone();
            let url = format!("http://127.0.0.1:{port}/checkout");
            std::thread::spawn(move || background_traffic(&url, &stop))
        };
        Ok(Service { dir, port, stop, threads: vec![server, traffic] })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn log(&self) -> PathBuf {
        self.dir.join("app.log")
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

struct State {
    dir: PathBuf,
    kind: Kind,
    /// What the running process read from its config at start (or at the last reload).
    loaded_upstream: String,
}

impl State {
    fn healthy(&mut self) -> (bool, String) {
        match self.kind {
            Kind::BadDeploy => {
                let release = fs::read_to_string(self.dir.join("releases/current")).unwrap_or_default();
                if release.trim() == "v1" {
                    (true, "ok (v1)".into())
                } else {
                    (false, "payment client 4.0: NullPointerException in CardTokenizer.tokenize".into())
                }
            }
            Kind::ConfigNotReloaded => {
                if self.dir.join("reload").exists() {
                    let _ = fs::remove_file(self.dir.join("reload"));
                    self.loaded_upstream =
                        fs::read_to_string(self.dir.join("config/upstream")).unwrap_or_default().trim().to_string();
                    let _ = fs::write(self.dir.join(LOADED), &self.loaded_upstream);
                    log(&self.dir, "INFO", &format!("configuration reloaded: upstream {}", self.loaded_upstream));
                }
                if self.loaded_upstream == "db-old:5432" {
                    (false, "connect to db-old:5432: connection refused (decommissioned)".into())
                } else {
                    (true, format!("ok (upstream {})", self.loaded_upstream))
                }
            }
            Kind::RetryStorm => {
                let policy = fs::read_to_string(self.dir.join("config/retry_policy")).unwrap_or_default();
                if policy.trim() == "exponential" {
                    (true, "ok (retries back off; circuit inventory closed)".into())
                } else {
                    (false, "circuit inventory OPEN: GET /stock timed out after 2000ms, 3 attempts, no backoff".into())
                }
            }
        }
    }
}

fn serve(listener: TcpListener, mut state: State, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => answer(stream, &mut state),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn answer(mut stream: TcpStream, state: &mut State) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut request = [0u8; 4096];
    let n = stream.read(&mut request).unwrap_or(0);
    let request = String::from_utf8_lossy(&request[..n]);
    let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (status, body) = match path.as_str() {
        "/db" => {
            if state.kind == Kind::ConfigNotReloaded && state.healthy().0 {
                ("200 OK", "db-new:5432 ok".to_string())
            } else if state.kind == Kind::ConfigNotReloaded {
                ("200 OK", "db-new:5432 ok; db-old:5432 decommissioned".to_string())
            } else if state.kind == Kind::RetryStorm {
                ("200 OK", "inventory up; p99 2.8s under 40x its usual request rate".to_string())
            } else {
                ("200 OK", "primary ok, replication lag 0s".to_string())
            }
        }
        _ => match state.healthy() {
            (true, detail) => ("200 OK", detail),
            (false, detail) => ("502 Bad Gateway", detail),
        },
    };
    let level = if status.starts_with('2') { "INFO" } else { "ERROR" };
    log(&state.dir, level, &format!("GET {path} {} {body}", &status[..3]));
    if level == "ERROR" {
        stack_trace(&state.dir, state.kind);
    }
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// Customers keep trying: their requests fill the log, with failures while it is broken.
fn background_traffic(url: &str, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        let _ = get(url);
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn log(dir: &Path, level: &str, message: &str) {
    let line = format!("{} {level} checkout: {message}\n", Utc::now().format("%Y-%m-%d %H:%M:%S%.3f"));
    if let Ok(mut file) = fs::OpenOptions::new().append(true).create(true).open(dir.join("app.log")) {
        let _ = file.write_all(line.as_bytes());
    }
}

/// A Java-style stack trace under an error, as real services write them.
fn stack_trace(dir: &Path, kind: Kind) {
    let trace = match kind {
        Kind::BadDeploy => {
            "java.lang.NullPointerException: token\n\tat com.shop.pay.CardTokenizer.tokenize(CardTokenizer.java:88)\n\tat com.shop.checkout.Checkout.pay(Checkout.java:41)\n"
        }
        Kind::ConfigNotReloaded => {
            "java.net.ConnectException: Connection refused (db-old:5432)\n\tat com.shop.db.Pool.connect(Pool.java:120)\n"
        }
        Kind::RetryStorm => {
            "java.util.concurrent.TimeoutException: inventory GET /stock (attempt 3 of 3, retried at once: no backoff)\n\tat com.shop.inventory.Client.get(Client.java:57)\n\tat com.shop.checkout.Checkout.reserve(Checkout.java:63)\n"
        }
    };
    if let Ok(mut file) = fs::OpenOptions::new().append(true).open(dir.join("app.log")) {
        let _ = file.write_all(trace.as_bytes());
    }
}

/// A plain HTTP GET with timeouts, for the scripted responder's eyes: (status, body).
///
/// Fails on a URL that is not `http://ADDRESS:PORT/...`, on any socket error, and on an answer
/// that is not HTTP.
pub fn get(url: &str) -> std::io::Result<(u16, String)> {
    let invalid = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{url}: {what}"));
    let rest = url.strip_prefix("http://").ok_or_else(|| invalid("only http:// URLs"))?;
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let addr = host.parse::<std::net::SocketAddr>().map_err(|_| invalid("not an address and port"))?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("not an HTTP response"))?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}
