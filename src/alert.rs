//! Alerts as Alertmanager sends them (webhook payload, version 4), and the facts an incident
//! takes from them: title, severity, services, runbook variables and when the trouble started.
//!
//! Pure: parsing and deriving only. The receiver (`incident receive`) and `open --from-alert`
//! decide what to record.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::model::Severity;

/// The largest payload accepted, in bytes. Alertmanager's own default cap on a group is far
/// below this (it truncates alerts and says so in `truncatedAlerts`).
pub const MAX_PAYLOAD: usize = 1 << 20;
/// Alerts kept from one notification; the rest are counted, not kept.
pub const MAX_ALERTS: usize = 200;

/// Labels or annotations: names to values.
pub type Labels = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Firing,
    Resolved,
}

/// One notification for one alert group.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    #[serde(default)]
    pub version: Option<String>,
    /// Alertmanager's key for the group: notifications with the same key are about the same
    /// group of alerts, so they add to one incident.
    pub group_key: String,
    pub status: AlertStatus,
    #[serde(default)]
    pub common_labels: Labels,
    #[serde(default)]
    pub common_annotations: Labels,
    pub alerts: Vec<Alert>,
    #[serde(default)]
    pub truncated_alerts: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub status: AlertStatus,
    #[serde(default)]
    pub labels: Labels,
    #[serde(default)]
    pub annotations: Labels,
    pub starts_at: DateTime<Utc>,
    /// Alertmanager sends `0001-01-01T00:00:00Z` for "not ended": read as `None`.
    #[serde(default, deserialize_with = "ends_at")]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default, rename = "generatorURL")]
    pub generator_url: Option<String>,
    /// Alertmanager's hash of the labels: the alert's identity across notifications.
    #[serde(default)]
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertError {
    TooLarge(usize),
    Json { line: usize, column: usize, message: String },
    Version(String),
    NoAlerts,
    NoAlertName,
}

impl fmt::Display for AlertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlertError::TooLarge(n) => write!(f, "the payload has {n} bytes; at most {MAX_PAYLOAD} are read"),
            AlertError::Json { line, column, message } => {
                write!(f, "not an Alertmanager payload (line {line}, column {column}): {message}")
            }
            AlertError::Version(v) => write!(f, "webhook payload version {v:?} is not supported: version 4 is"),
            AlertError::NoAlerts => f.write_str("the payload has no alerts"),
            AlertError::NoAlertName => f.write_str("no alert has an `alertname` label"),
        }
    }
}

impl std::error::Error for AlertError {}

impl Notification {
    /// Reads a webhook payload, or a single alert (as `jq '.alerts[0]'` or another tool would
    /// give one), which becomes a group of its own.
    pub fn parse(bytes: &[u8]) -> Result<Notification, AlertError> {
        if bytes.len() > MAX_PAYLOAD {
            return Err(AlertError::TooLarge(bytes.len()));
        }
        let json =
            |e: serde_json::Error| AlertError::Json { line: e.line(), column: e.column(), message: e.to_string() };
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(json)?;
        // Typed from the bytes again (not from the value) so errors keep their line and column.
        let mut notification = if value.get("alerts").is_some() {
            serde_json::from_slice::<Notification>(bytes).map_err(json)?
        } else {
            Notification::of_one(serde_json::from_slice::<Alert>(bytes).map_err(json)?)
        };
        if let Some(version) = &notification.version
            && version != "4"
        {
            return Err(AlertError::Version(version.clone()));
        }
        if notification.alerts.is_empty() {
            return Err(AlertError::NoAlerts);
        }
        if notification.alerts.len() > MAX_ALERTS {
            let dropped = notification.alerts.len() - MAX_ALERTS;
            notification.alerts.truncate(MAX_ALERTS);
            notification.truncated_alerts += dropped as u64;
        }
        for alert in &mut notification.alerts {
            if alert.fingerprint.is_empty() {
                alert.fingerprint = fingerprint(&alert.labels);
            }
        }
        if notification.alert_name().is_none() {
            return Err(AlertError::NoAlertName);
        }
        Ok(notification)
    }

    fn of_one(alert: Alert) -> Notification {
        let name = alert.labels.get("alertname").cloned().unwrap_or_default();
        Notification {
            version: None,
            group_key: format!("single:{name}:{}", fingerprint(&alert.labels)),
            status: alert.status,
            common_labels: alert.labels.clone(),
            common_annotations: alert.annotations.clone(),
            alerts: vec![alert],
            truncated_alerts: 0,
        }
    }

    /// The alerts still firing.
    pub fn firing(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.iter().filter(|a| a.status == AlertStatus::Firing)
    }

    /// The alert name of the group: the common one, else the first alert's.
    pub fn alert_name(&self) -> Option<&str> {
        self.label("alertname")
    }

    /// A label common to the group, else the first firing (or first) alert's.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.common_labels
            .get(name)
            .or_else(|| self.representative().labels.get(name))
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// An annotation common to the group, else the representative alert's.
    pub fn annotation(&self, name: &str) -> Option<&str> {
        self.common_annotations
            .get(name)
            .or_else(|| self.representative().annotations.get(name))
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    fn representative(&self) -> &Alert {
        self.firing().next().unwrap_or(&self.alerts[0])
    }

    /// What an incident opened from this notification is about.
    pub fn facts(&self) -> AlertFacts {
        let name = self.alert_name().unwrap_or("alert").to_string();
        let title = match self.annotation("summary").or_else(|| self.annotation("message")) {
            Some(summary) => format!("{name}: {}", one_line(summary)),
            None => match self.label("instance").or_else(|| self.label("job")) {
                Some(on) => format!("{name} on {on}"),
                None => name.clone(),
            },
        };
        let severity = self.label("severity").or_else(|| self.label("priority")).and_then(severity_of);
        let services: Vec<String> = ["service", "app", "job"]
            .iter()
            .find_map(|key| self.label(key))
            .map(|s| vec![s.to_string()])
            .unwrap_or_default();
        let starts_at = self.firing().map(|a| a.starts_at).min().unwrap_or(self.alerts[0].starts_at);
        AlertFacts {
            alert_name: name,
            title,
            severity: severity.unwrap_or(Severity::Sev3),
            severity_given: severity.is_some(),
            services,
            vars: self.vars(),
            runbook_url: self.annotation("runbook_url").or_else(|| self.annotation("runbook")).map(str::to_string),
            starts_at,
        }
    }

    /// The group's labels: the common ones, then the representative alert's.
    pub fn labels(&self) -> Labels {
        let mut labels = self.common_labels.clone();
        for (key, value) in &self.representative().labels {
            labels.entry(key.clone()).or_insert_with(|| value.clone());
        }
        labels
    }

    /// Runbook variables offered by the alert: every label of the group, and from `instance`
    /// the `host`, `port` and `base_url` it names. A runbook takes only those it declares.
    fn vars(&self) -> Labels {
        let mut vars = self.labels();
        if let Some(instance) = self.label("instance")
            && let Some(address) = Address::parse(instance)
        {
            vars.entry("host".into()).or_insert(address.host.clone());
            if let Some(port) = address.port {
                vars.entry("port".into()).or_insert(port.to_string());
            }
            vars.entry("base_url".into()).or_insert_with(|| address.base_url());
        }
        // node_exporter's filesystem alerts name the filesystem by its mount point.
        if let Some(mountpoint) = self.label("mountpoint") {
            vars.entry("path".into()).or_insert(mountpoint.to_string());
        }
        vars
    }
}

/// What an incident takes from an alert group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertFacts {
    pub alert_name: String,
    pub title: String,
    pub severity: Severity,
    /// Whether the severity came from a label (else it is the default, sev3).
    pub severity_given: bool,
    pub services: Vec<String>,
    pub vars: Labels,
    pub runbook_url: Option<String>,
    /// When the earliest firing alert started: the impact's start as the alerting saw it.
    pub starts_at: DateTime<Utc>,
}

/// A `severity` label in the words teams use: `sev1`..`sev4`, `p1`..`p4` (P1 is sev1),
/// `critical`/`page`/`high` (sev2: one alert is rarely a sev1 on its own; the commander raises
/// it), `warning`/`medium` (sev3), `info`/`low`/`none` (sev4).
pub fn severity_of(label: &str) -> Option<Severity> {
    let label = label.trim().to_ascii_lowercase();
    if let Ok(severity) = label.parse::<Severity>() {
        return Some(severity);
    }
    match label.as_str() {
        "p1" | "1" => Some(Severity::Sev1),
        "p2" | "2" | "critical" | "page" | "high" | "error" => Some(Severity::Sev2),
        "p3" | "3" | "warning" | "warn" | "medium" => Some(Severity::Sev3),
        "p4" | "4" | "info" | "low" | "none" => Some(Severity::Sev4),
        _ => None,
    }
}

/// An `instance` label: `host:port`, `[v6]:port`, a bare host, or a URL (the blackbox
/// exporter's targets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub scheme: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl Address {
    pub fn parse(instance: &str) -> Option<Address> {
        let instance = instance.trim();
        let (scheme, rest) = match instance.split_once("://") {
            Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
            None => (None, instance),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']')?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) if !host.contains(':') => (host, Some(port)),
                Some(_) => (authority, None), // a bare IPv6 address
                None => (authority, None),
            }
        };
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return None;
        }
        let port = match port {
            Some(p) => Some(p.parse::<u16>().ok()?),
            None => None,
        };
        Some(Address { scheme, host: host.to_string(), port })
    }

    /// The URL of the service's root: the instance's own scheme, else http.
    pub fn base_url(&self) -> String {
        let scheme = self.scheme.as_deref().unwrap_or("http");
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        match self.port {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        }
    }
}

/// A stable identity for an alert that came without Alertmanager's fingerprint: a hash of its
/// sorted labels.
fn fingerprint(labels: &Labels) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for (key, value) in labels {
        hasher.update(key.as_bytes());
        hasher.update([0xff]);
        hasher.update(value.as_bytes());
        hasher.update([0xfe]);
    }
    hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn one_line(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

fn ends_at<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let value: Option<DateTime<Utc>> = Option::deserialize(deserializer)?;
    // Go's zero time, which Alertmanager sends for an alert with no end.
    Ok(value.filter(|t| t.timestamp() > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRING: &str = include_str!("../tests/fixtures/alertmanager/firing.json");
    const RESOLVED: &str = include_str!("../tests/fixtures/alertmanager/resolved.json");

    #[test]
    fn a_real_alertmanager_notification_gives_the_incident_its_facts() {
        let notification = Notification::parse(FIRING.as_bytes()).unwrap();
        assert_eq!(notification.status, AlertStatus::Firing);
        assert_eq!(notification.group_key, r#"{}:{alertname="InstanceDown", job="checkout"}"#);
        assert_eq!(notification.alerts[0].ends_at, None, "Go's zero time is no end");
        let facts = notification.facts();
        assert_eq!(facts.title, "InstanceDown: Instance 127.0.0.1:8080 down");
        assert_eq!(facts.severity, Severity::Sev2);
        assert!(facts.severity_given);
        assert_eq!(facts.services, ["checkout"]);
        assert_eq!(facts.vars["host"], "127.0.0.1");
        assert_eq!(facts.vars["port"], "8080");
        assert_eq!(facts.vars["base_url"], "http://127.0.0.1:8080");
        assert_eq!(facts.vars["job"], "checkout");
        assert_eq!(facts.runbook_url.as_deref(), Some("https://runbooks.example/InstanceDown"));
        assert_eq!(facts.starts_at.to_rfc3339(), "2026-11-24T10:52:35+00:00");
    }

    #[test]
    fn a_resolved_notification_has_its_end_and_the_same_identity() {
        let firing = Notification::parse(FIRING.as_bytes()).unwrap();
        let resolved = Notification::parse(RESOLVED.as_bytes()).unwrap();
        assert_eq!(resolved.status, AlertStatus::Resolved);
        assert_eq!(resolved.group_key, firing.group_key);
        assert_eq!(resolved.alerts[0].fingerprint, firing.alerts[0].fingerprint);
        assert!(resolved.alerts[0].ends_at.is_some());
        assert_eq!(resolved.firing().count(), 0);
    }

    #[test]
    fn one_alert_piped_through_jq_is_a_group_of_its_own() {
        let one = serde_json::json!({
            "status": "firing",
            "labels": {"alertname": "NodeFilesystemAlmostOutOfSpace", "instance": "db1:9100", "mountpoint": "/var"},
            "annotations": {"summary": "Filesystem has less than 5% space left."},
            "startsAt": "2026-11-24T06:00:00Z"
        });
        let notification = Notification::parse(one.to_string().as_bytes()).unwrap();
        let facts = notification.facts();
        assert_eq!(facts.title, "NodeFilesystemAlmostOutOfSpace: Filesystem has less than 5% space left.");
        assert!(!facts.severity_given, "no severity label: the default, said so");
        assert_eq!(facts.vars["mountpoint"], "/var");
        assert_eq!(facts.vars["path"], "/var", "the mount point is the path disk-full watches");
        assert_eq!(facts.vars["host"], "db1");
        let again = Notification::parse(one.to_string().as_bytes()).unwrap();
        assert_eq!(notification.group_key, again.group_key, "the same alert is the same group");
        assert_eq!(notification.alerts[0].fingerprint.len(), 16);
    }

    #[test]
    fn payloads_that_are_not_alerts_are_refused_with_the_reason() {
        type Expected = fn(&AlertError) -> bool;
        let cases: [(&str, Expected); 5] = [
            ("{", |e| matches!(e, AlertError::Json { line: 1, .. })),
            (r#"{"version":"3","groupKey":"g","status":"firing","alerts":[]}"#, |e| {
                matches!(e, AlertError::Version(_))
            }),
            (r#"{"version":"4","groupKey":"g","status":"firing","alerts":[]}"#, |e| *e == AlertError::NoAlerts),
            (
                r#"{"groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":{},"startsAt":"2026-11-24T06:00:00Z"}]}"#,
                |e| *e == AlertError::NoAlertName,
            ),
            (r#"{"groupKey":"g","status":"burning","alerts":[]}"#, |e| matches!(e, AlertError::Json { .. })),
        ];
        for (payload, expected) in cases {
            let err = Notification::parse(payload.as_bytes()).unwrap_err();
            assert!(expected(&err), "{payload}: {err}");
        }
        let huge = vec![b' '; MAX_PAYLOAD + 1];
        assert_eq!(Notification::parse(&huge).unwrap_err(), AlertError::TooLarge(MAX_PAYLOAD + 1));
    }

    #[test]
    fn instance_labels_in_every_shape_give_host_and_port() {
        let cases = [
            ("10.0.0.5:9100", "10.0.0.5", Some(9100), "http://10.0.0.5:9100"),
            ("[::1]:8080", "::1", Some(8080), "http://[::1]:8080"),
            ("db1.internal", "db1.internal", None, "http://db1.internal"),
            ("https://shop.example.com/health", "shop.example.com", None, "https://shop.example.com"),
            (
                "https://user:pw@shop.example.com:8443/x",
                "shop.example.com",
                Some(8443),
                "https://shop.example.com:8443",
            ),
            ("fe80::1", "fe80::1", None, "http://[fe80::1]"),
        ];
        for (instance, host, port, base) in cases {
            let address = Address::parse(instance).unwrap_or_else(|| panic!("{instance}"));
            assert_eq!((address.host.as_str(), address.port), (host, port), "{instance}");
            assert_eq!(address.base_url(), base, "{instance}");
        }
        for bad in ["", "host:notaport", "host:99999", "a b:80"] {
            assert_eq!(Address::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn severity_labels_in_the_words_teams_use() {
        assert_eq!(severity_of("critical"), Some(Severity::Sev2));
        assert_eq!(severity_of("SEV1"), Some(Severity::Sev1));
        assert_eq!(severity_of("P1"), Some(Severity::Sev1));
        assert_eq!(severity_of("warning"), Some(Severity::Sev3));
        assert_eq!(severity_of("info"), Some(Severity::Sev4));
        assert_eq!(severity_of("whatever"), None);
    }

    #[test]
    fn a_group_of_hundreds_of_alerts_is_capped_and_counted() {
        let alert =
            serde_json::json!({"status": "firing", "labels": {"alertname": "X"}, "startsAt": "2026-11-24T06:00:00Z"});
        let payload = serde_json::json!({
            "version": "4", "groupKey": "g", "status": "firing",
            "alerts": vec![alert; MAX_ALERTS + 5], "truncatedAlerts": 1
        });
        let notification = Notification::parse(payload.to_string().as_bytes()).unwrap();
        assert_eq!(notification.alerts.len(), MAX_ALERTS);
        assert_eq!(notification.truncated_alerts, 6);
    }
}
