//! Shared by the integration tests: the real binary in a hermetic environment, and small
//! servers on 127.0.0.1 for probes to talk to.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use assert_cmd::Command;
use tempfile::TempDir;

pub const NOW: &str = "2026-11-22T14:05:00Z";

/// A temporary working folder and store; commands run there with pinned time and author.
pub struct Env {
    pub dir: TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env { dir: tempfile::tempdir().unwrap() }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("incident").unwrap();
        cmd.current_dir(self.dir.path())
            .env("INCIDENT_STORE", self.store())
            .env("INCIDENT_NOW", NOW)
            .env("INCIDENT_AUTHOR", "tester")
            .env("TZ", "UTC")
            .env("NO_COLOR", "1")
            .env_remove("INCIDENT_ID")
            .env_remove("PROM_URL")
            .env_remove("SERVICE_TOKEN")
            .timeout(Duration::from_secs(60));
        cmd
    }

    /// Opens an incident and makes it current.
    pub fn open_incident(&self) {
        self.cmd().args(["open", "Checkout returns 502s", "-s", "sev2", "--no-walk"]).assert().success();
    }

    /// The current incident's timeline, as text.
    pub fn timeline(&self) -> String {
        let mut text = String::new();
        for entry in std::fs::read_dir(self.store()).unwrap() {
            let path = entry.unwrap().path().join("timeline.jsonl");
            if path.is_file() {
                text.push_str(&std::fs::read_to_string(path).unwrap());
            }
        }
        text
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// What the test server answers.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub delay: Duration,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn new(status: u16, body: &str) -> Reply {
        Reply { status, body: body.to_string(), delay: Duration::ZERO, headers: Vec::new() }
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1, one thread per connection; `answer` gets the request
/// path and how many requests came before this one.
pub struct Server {
    pub port: u16,
    pub hits: Arc<AtomicUsize>,
}

impl Server {
    pub fn start(answer: impl Fn(&str, usize) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let answer = Arc::new(answer);
        let counter = Arc::clone(&hits);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let answer = Arc::clone(&answer);
                let n = counter.fetch_add(1, Ordering::SeqCst);
                thread::spawn(move || serve(stream, &*answer, n));
            }
        });
        Server { port, hits }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn serve(stream: TcpStream, answer: &dyn Fn(&str, usize) -> Reply, n: usize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let reply = answer(&path, n);
    thread::sleep(reply.delay);
    let mut stream = stream;
    let mut head =
        format!("HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n", reply.status, reply.body.len());
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(reply.body.as_bytes());
}

/// A TLS server on 127.0.0.1 presenting a self-signed certificate for `localhost` valid for
/// `days` more days (negative: expired); it completes handshakes and closes.
pub fn tls_server(days: i64) -> u16 {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let now = time_now();
    params.not_before = now - time::Duration::days(30);
    params.not_after = now + time::Duration::days(days);
    params.distinguished_name.push(rcgen::DnType::CommonName, "incident test");
    let cert = params.self_signed(&key).unwrap();
    let cert_der = cert.der().clone();
    let key_der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder().with_no_client_auth().with_single_cert(vec![cert_der], key_der).unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = Arc::clone(&config);
            thread::spawn(move || {
                let mut stream = stream;
                if let Ok(mut conn) = rustls::ServerConnection::new(config) {
                    let _ = conn.complete_io(&mut stream);
                    let _ = conn.complete_io(&mut stream);
                    conn.send_close_notify();
                    let _ = conn.complete_io(&mut stream);
                }
            });
        }
    });
    port
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// A DNS server on 127.0.0.1 (UDP) that knows one name: `app.test` A `10.1.2.3`; every other
/// name is NXDOMAIN. Enough of RFC 1035 for one question and one answer.
pub fn dns_server() -> u16 {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, peer)) = socket.recv_from(&mut buf) {
            let query = &buf[..n];
            if n < 12 {
                continue;
            }
            // The question: labels up to a zero byte, then type and class.
            let mut i = 12;
            let mut labels = Vec::new();
            while i < n && query[i] != 0 {
                let len = query[i] as usize;
                labels.push(String::from_utf8_lossy(&query[i + 1..(i + 1 + len).min(n)]).to_string());
                i += 1 + len;
            }
            let question_end = (i + 5).min(n);
            let qtype = u16::from_be_bytes([query[i + 1], query[i + 2]]);
            let name = labels.join(".").to_ascii_lowercase();
            let known = name == "app.test";
            let mut reply = Vec::new();
            reply.extend_from_slice(&query[0..2]);
            reply.extend_from_slice(if known { &[0x81, 0x80] } else { &[0x81, 0x83] });
            let answers: u16 = if known && qtype == 1 { 1 } else { 0 };
            reply.extend_from_slice(&[0, 1]);
            reply.extend_from_slice(&answers.to_be_bytes());
            reply.extend_from_slice(&[0, 0, 0, 0]);
            reply.extend_from_slice(&query[12..question_end]);
            if answers == 1 {
                reply.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 1, 2, 3]);
            }
            let _ = socket.send_to(&reply, peer);
        }
    });
    port
}
