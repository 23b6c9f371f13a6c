//! `tls-cert-expired` against a real TLS endpoint (`openssl s_server` on loopback) and the
//! certificate file the server is configured with, both made at test time by a test CA that
//! `incident` trusts through `SSL_CERT_FILE`. Served and on-disk certificates are combined the
//! ways a renewal goes wrong: not yet due, about to expire, renewed but not reloaded, not renewed.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use serde_json::Value;

use super::{check_of, check_with, hypotheses, status};
use crate::harness::Env;
use crate::harness::daemons::TlsEndpoint;
use crate::harness::net::TestCa;

/// The runbook against an endpoint serving `served` (days left) with `cert_file` as the file
/// on disk; `None` when openssl is missing outside CI.
fn check_cert(test: &str, served: i64, file: Option<i64>) -> Option<(i32, Value)> {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new(dir.path());
    let (cert, key) = ca.leaf("served", served);
    let endpoint = TlsEndpoint::start(&cert, &key, test)?;
    let cert_file = file.map(|days| ca.leaf("on-disk", days).0);
    Some(run(&ca, endpoint.port, cert_file.as_deref()))
}

fn run(ca: &TestCa, port: u16, cert_file: Option<&Path>) -> (i32, Value) {
    let mut vars = vec![("host", "localhost".to_string()), ("port", port.to_string())];
    if let Some(file) = cert_file {
        vars.push(("cert_file", file.display().to_string()));
    }
    check_with(&Env::new(), "tls-cert-expired", &vars, &[("SSL_CERT_FILE", ca.ca_file().display().to_string())])
}

#[test]
fn tls_runbook_is_quiet_for_a_trusted_certificate_months_from_expiry_served_and_on_disk() {
    let Some((code, report)) = check_cert("tls_runbook_is_quiet_for_a_trusted_certificate", 90, Some(90)) else {
        return;
    };
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(status(&report, "trusted"), "ok", "the test CA is trusted through SSL_CERT_FILE");
    assert_eq!(status(&report, "file_cert"), "ok");
    assert!(check_of(&report, "file_cert")["observed"]["extract"]["not_after"].as_str().unwrap().ends_with("GMT"));
    assert!(hypotheses(&report).is_empty(), "{report:#}");
}

#[test]
fn tls_runbook_warns_days_before_expiry_on_the_endpoint_and_the_file() {
    let Some((code, report)) = check_cert("tls_runbook_warns_days_before_expiry", 5, Some(5)) else { return };
    assert_eq!(code, 1, "{report:#}");
    assert_eq!((status(&report, "served_cert"), status(&report, "served_cert_soon")), ("ok", "warning"));
    assert_eq!((status(&report, "file_cert"), status(&report, "file_cert_soon")), ("ok", "warning"));
    assert_eq!(hypotheses(&report), ["expiring_soon"]);
}

/// The renewal wrote a fresh file but the server still presents the old, expired certificate:
/// a reload fixes it, and the runbook says so rather than "renew".
#[test]
fn tls_runbook_tells_a_server_not_reloaded_from_a_renewal_that_failed() {
    let test = "tls_runbook_tells_a_server_not_reloaded_from_a_renewal_that_failed";
    let Some((code, report)) = check_cert(test, -2, Some(90)) else { return };
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(check_of(&report, "served_cert")["reason"], "cert_expired", "{report:#}");
    assert_eq!(status(&report, "file_cert"), "ok");
    assert_eq!(hypotheses(&report), ["not_reloaded"]);

    let Some((code, report)) = check_cert(test, -2, Some(-2)) else { return };
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(status(&report, "file_cert"), "critical", "{report:#}");
    assert_eq!(hypotheses(&report), ["expired"]);

    // No file given: the served certificate alone says expired.
    let Some((_, report)) = check_cert(test, -2, None) else { return };
    assert!(report["checks"].as_array().unwrap().iter().all(|c| c["check"] != "file_cert"), "not run without a file");
    assert_eq!(hypotheses(&report), ["expired"]);
}

/// openssl exits 1 both for "will expire" and for a file it cannot read: an unreadable file is
/// `unknown`, not an expired certificate.
#[test]
fn tls_runbook_reads_an_unreadable_cert_file_as_unknown_not_expired() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new(dir.path());
    let (cert, key) = ca.leaf("served", 90);
    let Some(endpoint) =
        TlsEndpoint::start(&cert, &key, "tls_runbook_reads_an_unreadable_cert_file_as_unknown_not_expired")
    else {
        return;
    };
    let (code, report) = run(&ca, endpoint.port, Some(&dir.path().join("missing.pem")));
    assert_eq!(code, 3, "{report:#}");
    assert_eq!(
        (status(&report, "file_cert"), check_of(&report, "file_cert")["reason"].as_str()),
        ("unknown", Some("cannot_tell"))
    );
    assert!(hypotheses(&report).is_empty(), "{report:#}");
}
