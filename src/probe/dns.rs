//! The `dns` probe: one lookup, its response code and answers.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use hickory_resolver::Resolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RecordType;
use serde_json::{Map, Value};

use super::{Failure, Observation, millis};

pub async fn probe(name: &str, record_type: &str, server: Option<&str>, timeout: Duration) -> Observation {
    let rtype = match record_type.to_ascii_uppercase().as_str() {
        "A" => RecordType::A,
        "AAAA" => RecordType::AAAA,
        "CNAME" => RecordType::CNAME,
        "MX" => RecordType::MX,
        "TXT" => RecordType::TXT,
        other => return Observation::failed(Failure::unknown("bad_request", format!("record type {other:?}"))),
    };
    let mut options = ResolverOpts::default();
    options.timeout = timeout;
    options.attempts = 1;
    options.cache_size = 0;
    let builder = match server {
        Some(server) => {
            let address = match parse_server(server) {
                Some(a) => a,
                None => {
                    return Observation::failed(Failure::unknown(
                        "bad_request",
                        format!("nameserver {server:?}: use IP or IP:PORT"),
                    ));
                }
            };
            let mut server = NameServerConfig::udp_and_tcp(address.ip());
            for connection in &mut server.connections {
                connection.port = address.port();
            }
            Resolver::builder_with_config(
                ResolverConfig::from_name_servers(vec![server]),
                TokioRuntimeProvider::default(),
            )
        }
        None => match Resolver::builder_tokio() {
            Ok(b) => b,
            Err(e) => {
                return Observation::failed(Failure::unknown(
                    "dns_config",
                    format!("cannot read the system's DNS configuration: {e}"),
                ));
            }
        },
    };
    let resolver = match builder.with_options(options).build() {
        Ok(resolver) => resolver,
        Err(e) => {
            return Observation::failed(Failure::unknown("dns_config", format!("cannot build a resolver: {e}")));
        }
    };
    let started = Instant::now();
    let result = resolver.lookup(name, rtype).await;
    let latency = started.elapsed();
    let mut observed = Map::new();
    observed.insert("latency_ms".into(), Value::from(millis(latency)));
    match result {
        Ok(lookup) => {
            let answers: Vec<Value> = lookup
                .answers()
                .iter()
                .filter(|r| r.record_type() == rtype)
                .map(|r| Value::from(r.data.to_string()))
                .collect();
            observed.insert("rcode".into(), Value::from("NOERROR"));
            observed.insert("answers".into(), Value::Array(answers));
            Observation { observed, failure: None }
        }
        Err(e) if e.is_nx_domain() => {
            observed.insert("rcode".into(), Value::from("NXDOMAIN"));
            observed.insert("answers".into(), Value::Array(Vec::new()));
            Observation { observed, failure: None }
        }
        Err(e) if e.is_no_records_found() => {
            observed.insert("rcode".into(), Value::from("NOERROR"));
            observed.insert("answers".into(), Value::Array(Vec::new()));
            Observation { observed, failure: None }
        }
        Err(e) => {
            let reason = if matches!(e, NetError::Timeout) { "timeout" } else { "dns_error" };
            Observation { observed, failure: Some(Failure::critical(reason, format!("lookup failed: {e}"))) }
        }
    }
}

fn parse_server(text: &str) -> Option<SocketAddr> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(addr);
    }
    text.trim_matches(['[', ']']).parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 53))
}
