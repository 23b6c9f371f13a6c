//! The `tcp` probe: does the port accept a connection.

use std::time::Instant;

use serde_json::{Map, Value};

use super::evaluate::field;
use super::{Failure, Observation, millis};

/// Tries each address the name resolves to, in order, as a client would; the first that
/// accepts wins. The caller's timeout bounds the whole attempt.
pub async fn probe(host: &str, port: u16) -> Observation {
    let addresses: Vec<std::net::SocketAddr> = match tokio::net::lookup_host((host, port)).await {
        Ok(a) => a.collect(),
        Err(e) => return Observation::failed(Failure::unknown("dns_error", format!("cannot resolve {host}: {e}"))),
    };
    if addresses.is_empty() {
        return Observation::failed(Failure::unknown("dns_error", format!("{host} has no address")));
    }
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut all_refused = true;
    for address in &addresses {
        match tokio::net::TcpStream::connect(address).await {
            Ok(_) => {
                let mut observed = Map::new();
                observed.insert("connected".into(), Value::from(true));
                observed.insert("address".into(), Value::from(address.to_string()));
                observed.insert("latency_ms".into(), Value::from(millis(started.elapsed())));
                return Observation { observed, failure: None };
            }
            Err(e) => {
                all_refused &= e.kind() == std::io::ErrorKind::ConnectionRefused;
                failures.push(format!("{address}: {e}"));
            }
        }
    }
    let reason = if all_refused { "connect_refused" } else { "connect_error" };
    Observation::failed(Failure::critical(reason, failures.join("; ")))
}

/// What an `ok` says: the most telling figure.
pub(super) fn ok_summary(seen: &Map<String, Value>) -> String {
    format!("connected in {}ms", field(seen, "latency_ms"))
}
