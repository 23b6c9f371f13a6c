//! The `tls` probe: the certificates a server presents, their expiry, and whether they verify.
//!
//! The handshake accepts any certificate so that an expired or self-signed one can still be
//! inspected; the system's verifier runs on the same chain and its verdict is recorded beside it.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde_json::{Map, Value};

use super::evaluate::{Expectations, Verdicts, number, show_secs, text};
use super::{Failure, Observation, millis};

/// Why a chain is not trusted; recorded as `verify_error`.
#[derive(Debug, Clone)]
enum Untrusted {
    /// The machine has no root certificates to verify against.
    NoRoots,
    /// The system's verifier could not be built.
    Setup(rustls::client::VerifierBuilderError),
    /// The system's verifier refused the chain.
    Refused(rustls::Error),
}

impl std::fmt::Display for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Untrusted::NoRoots => f.write_str("no trusted root certificates on this machine (install ca-certificates)"),
            Untrusted::Setup(e) => e.fmt(f),
            Untrusted::Refused(e) => e.fmt(f),
        }
    }
}

#[derive(Debug)]
struct Inspecting {
    real: Result<Arc<WebPkiServerVerifier>, Untrusted>,
    verdict: Arc<Mutex<Option<Result<(), Untrusted>>>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Inspecting {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = match &self.real {
            Ok(real) => real
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(|_| ())
                .map_err(Untrusted::Refused),
            Err(e) => Err(e.clone()),
        };
        *self.verdict.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(verdict);
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The system's verifier (roots from the system store, or `SSL_CERT_FILE`).
fn system_verifier(provider: &Arc<rustls::crypto::CryptoProvider>) -> Result<Arc<WebPkiServerVerifier>, Untrusted> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(crate::trust::system_roots().iter().cloned());
    if roots.is_empty() {
        return Err(Untrusted::NoRoots);
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider)).build().map_err(Untrusted::Setup)
}

pub async fn probe(host: &str, port: u16, server_name: Option<&str>) -> Observation {
    let provider = crate::trust::crypto_provider();
    let verdict = Arc::new(Mutex::new(None));
    let verifier = Inspecting {
        real: system_verifier(&provider),
        verdict: Arc::clone(&verdict),
        algorithms: provider.signature_verification_algorithms,
    };
    let config = match rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
    {
        Ok(builder) => builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier)).with_no_client_auth(),
        Err(e) => return Observation::failed(Failure::unknown("tls_setup", e.to_string())),
    };
    let name_text = server_name.unwrap_or(host).to_string();
    let name = match ServerName::try_from(name_text.clone()) {
        Ok(n) => n,
        Err(e) => return Observation::failed(Failure::unknown("bad_target", format!("{name_text:?}: {e}"))),
    };
    let started = std::time::Instant::now();
    let tcp = match tokio::net::TcpStream::connect((host, port)).await {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Observation::failed(Failure::critical(
                "connect_refused",
                format!("{host}:{port}: connection refused"),
            ));
        }
        Err(e) => return Observation::failed(Failure::critical("connect_error", format!("{host}:{port}: {e}"))),
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let stream = match connector.connect(name, tcp).await {
        Ok(s) => s,
        Err(e) => return Observation::failed(Failure::critical("tls_handshake", format!("handshake failed: {e}"))),
    };
    let latency = started.elapsed();
    let chain: Vec<CertificateDer<'static>> = stream
        .get_ref()
        .1
        .peer_certificates()
        .map(|c| c.iter().map(|c| c.clone().into_owned()).collect())
        .unwrap_or_default();
    let Some(leaf) = chain.first() else {
        return Observation::failed(Failure::critical("tls_handshake", "the server presented no certificate"));
    };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    let mut observed = Map::new();
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(leaf.as_ref()) else {
        return Observation::failed(Failure::unknown("bad_certificate", "the leaf certificate does not parse"));
    };
    let leaf_left = cert.validity().not_after.timestamp() - now;
    observed.insert("subject".into(), Value::from(cert.subject().to_string()));
    observed.insert("issuer".into(), Value::from(cert.issuer().to_string()));
    observed.insert("not_after".into(), Value::from(cert.validity().not_after.to_string()));
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for name in &ext.value.general_names {
            match name {
                x509_parser::extensions::GeneralName::DNSName(dns) => sans.push(Value::from(*dns)),
                x509_parser::extensions::GeneralName::IPAddress(bytes) => {
                    let ip = match bytes.len() {
                        4 => <[u8; 4]>::try_from(*bytes).map(|b| std::net::IpAddr::from(b).to_string()).ok(),
                        16 => <[u8; 16]>::try_from(*bytes).map(|b| std::net::IpAddr::from(b).to_string()).ok(),
                        _ => None,
                    };
                    sans.extend(ip.map(Value::from));
                }
                _ => {}
            }
        }
    }
    observed.insert("sans".into(), Value::Array(sans));
    let chain_left = chain
        .iter()
        .filter_map(|c| x509_parser::parse_x509_certificate(c.as_ref()).ok())
        .map(|(_, c)| c.validity().not_after.timestamp() - now)
        .min()
        .unwrap_or(leaf_left);
    observed.insert("leaf_expires_in_secs".into(), Value::from(leaf_left));
    observed.insert("leaf_expires_in_days".into(), Value::from(leaf_left.div_euclid(86_400)));
    observed.insert("chain_expires_in_secs".into(), Value::from(chain_left));
    observed.insert("chain_expires_in_days".into(), Value::from(chain_left.div_euclid(86_400)));
    observed.insert("chain_length".into(), Value::from(chain.len()));
    observed.insert("latency_ms".into(), Value::from(millis(latency)));
    let verdict = verdict.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    match verdict {
        Some(Ok(())) => {
            observed.insert("verified".into(), Value::from(true));
        }
        Some(Err(why)) => {
            observed.insert("verified".into(), Value::from(false));
            observed.insert("verify_error".into(), Value::from(why.to_string()));
        }
        None => {
            observed.insert("verified".into(), Value::from(false));
            observed.insert("verify_error".into(), Value::from("not verified"));
        }
    }
    Observation { observed, failure: None }
}

/// Trust (unless `verified: false`), expiry (an expired leaf always fails), then names.
pub(super) fn judge(e: &Expectations, seen: &Map<String, Value>, out: &mut Verdicts) {
    let verified = seen.get("verified").and_then(Value::as_bool).unwrap_or(false);
    let want_verified = e.verified.unwrap_or(true);
    if want_verified {
        let why = text(seen, "verify_error");
        let shown = if verified { "true".to_string() } else { format!("false: {why}") };
        out.push("verified == true".to_string(), shown, verified, "tls_untrusted");
    }
    let leaf_secs = number(seen, "leaf_expires_in_secs").unwrap_or(f64::NEG_INFINITY);
    // An expired leaf is critical whatever else was asked: nothing can use it.
    let expired_reason = if leaf_secs <= 0.0 { "cert_expired" } else { "cert_expiry" };
    if let Some(want) = &e.leaf_expires_in {
        out.push(
            format!("leaf_expires_in {want}"),
            show_secs(leaf_secs),
            want.holds(leaf_secs * 1000.0),
            expired_reason,
        );
    } else if leaf_secs <= 0.0 {
        out.push("leaf_expires_in > 0s".to_string(), show_secs(leaf_secs), false, "cert_expired");
    }
    if let Some(want) = &e.chain_expires_in {
        let chain = number(seen, "chain_expires_in_secs").unwrap_or(f64::NEG_INFINITY);
        out.push(format!("chain_expires_in {want}"), show_secs(chain), want.holds(chain * 1000.0), "cert_expiry");
    }
    for (key, needle) in [("subject", &e.subject_contains), ("issuer", &e.issuer_contains)] {
        if let Some(needle) = needle {
            let got = text(seen, key);
            out.push(format!("{key} contains {needle:?}"), got.clone(), got.contains(needle.as_str()), "assertion");
        }
    }
    if let Some(needle) = &e.san_contains {
        let sans: Vec<&str> = seen
            .get("sans")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        out.push(
            format!("sans contain {needle:?}"),
            format!("[{}]", sans.join(", ")),
            sans.contains(&needle.as_str()),
            "assertion",
        );
    }
}

/// What an `ok` says: the most telling figure.
pub(super) fn ok_summary(seen: &Map<String, Value>) -> String {
    format!("leaf expires in {}", show_secs(number(seen, "leaf_expires_in_secs").unwrap_or(0.0)))
}
