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

use super::{Failure, Observation, millis};

#[derive(Debug)]
struct Inspecting {
    real: Result<Arc<WebPkiServerVerifier>, String>,
    verdict: Arc<Mutex<Option<Result<(), String>>>>,
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
                .map_err(|e| e.to_string()),
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
fn system_verifier(provider: &Arc<rustls::crypto::CryptoProvider>) -> Result<Arc<WebPkiServerVerifier>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(crate::trust::system_roots().iter().cloned());
    if roots.is_empty() {
        return Err("no trusted root certificates on this machine (install ca-certificates)".to_string());
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider))
        .build()
        .map_err(|e| e.to_string())
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
            observed.insert("verify_error".into(), Value::from(why));
        }
        None => {
            observed.insert("verified".into(), Value::from(false));
            observed.insert("verify_error".into(), Value::from("not verified"));
        }
    }
    Observation { observed, failure: None }
}
