//! TLS trust, in one place: the crypto provider (rustls with ring) and the trusted roots (the
//! system's store, read by rustls-native-certs, which honours `SSL_CERT_FILE` and
//! `SSL_CERT_DIR`). The HTTP probe, the TLS probe and webhooks all verify against the same roots.

use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;
use rustls_pki_types::CertificateDer;

/// The process-wide crypto provider, installed on first use (reqwest and tokio-rustls look it up).
pub fn crypto_provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    Arc::clone(PROVIDER.get_or_init(|| {
        // Another library may have installed one first; ours is then used only where passed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        CryptoProvider::get_default().map_or_else(|| Arc::new(rustls::crypto::ring::default_provider()), Arc::clone)
    }))
}

/// The system's trusted root certificates, read once. Empty when the machine has none (the
/// callers say so: install ca-certificates).
pub fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// An HTTP client builder that trusts exactly [`system_roots`], with the provider installed.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    crypto_provider();
    let roots = system_roots().iter().filter_map(|der| reqwest::Certificate::from_der(der).ok());
    reqwest::Client::builder().tls_certs_only(roots).user_agent(concat!("incident/", env!("CARGO_PKG_VERSION")))
}
