//! The non-HTTP servers the probes talk to on 127.0.0.1: TLS (for certificate checks) and DNS.
#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::sync::Arc;
use std::thread;

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

/// A certificate authority made for one test, writing PEM files into `dir`: `ca.pem` (give it to
/// `incident` as `SSL_CERT_FILE`, so what it signs verifies) and leaves for `localhost`.
pub struct TestCa {
    dir: std::path::PathBuf,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl TestCa {
    pub fn new(dir: &std::path::Path) -> TestCa {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, "incident test CA");
        params.not_before = time_now() - time::Duration::days(365);
        params.not_after = time_now() + time::Duration::days(365);
        let ca = params.self_signed(&key).unwrap();
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        TestCa { dir: dir.to_path_buf(), issuer: rcgen::Issuer::new(params, key) }
    }

    /// The CA's certificate, for `SSL_CERT_FILE`.
    pub fn ca_file(&self) -> std::path::PathBuf {
        self.dir.join("ca.pem")
    }

    /// A leaf for `localhost` valid for `days` more days (negative: expired that long ago),
    /// written as `NAME.pem` and `NAME.key`; their paths.
    pub fn leaf(&self, name: &str, days: i64) -> (std::path::PathBuf, std::path::PathBuf) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
        params.not_before = time_now() - time::Duration::days(90);
        params.not_after = time_now() + time::Duration::days(days);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let (cert_file, key_file) = (self.dir.join(format!("{name}.pem")), self.dir.join(format!("{name}.key")));
        std::fs::write(&cert_file, cert.pem()).unwrap();
        std::fs::write(&key_file, key.serialize_pem()).unwrap();
        (cert_file, key_file)
    }
}
