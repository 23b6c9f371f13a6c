//! The `tcp` probe: does the port accept a connection.

use std::time::Instant;

use serde_json::{Map, Value};

use super::{Failure, Observation, millis};

pub async fn probe(host: &str, port: u16) -> Observation {
    let addresses: Vec<std::net::SocketAddr> = match tokio::net::lookup_host((host, port)).await {
        Ok(a) => a.collect(),
        Err(e) => return Observation::failed(Failure::unknown("dns_error", format!("cannot resolve {host}: {e}"))),
    };
    let Some(address) = addresses.first().copied() else {
        return Observation::failed(Failure::unknown("dns_error", format!("{host} has no address")));
    };
    let started = Instant::now();
    match tokio::net::TcpStream::connect(address).await {
        Ok(_) => {
            let mut observed = Map::new();
            observed.insert("connected".into(), Value::from(true));
            observed.insert("address".into(), Value::from(address.to_string()));
            observed.insert("latency_ms".into(), Value::from(millis(started.elapsed())));
            Observation { observed, failure: None }
        }
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            Observation::failed(Failure::critical("connect_refused", format!("{address}: connection refused")))
        }
        Err(e) => Observation::failed(Failure::critical("connect_error", format!("{address}: {e}"))),
    }
}
