//! The HTTP side of `incident receive`: Alertmanager's webhook at `POST /alertmanager`.
//!
//! A notification is checked (token, size, JSON), written durably to the store's inbox, and only
//! then acknowledged with 200, so a crash or restart after the answer loses nothing: the inbox
//! is drained by the command's worker (`commands::receive`), which records it. Every request is
//! bounded in time and size; a bad one records nothing.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::alert::{MAX_PAYLOAD, Notification};
use crate::error::{Error, Result};
use crate::store::Outbox;

/// Time to send the request head; the whole exchange gets [`REQUEST_LIMIT`].
const HEADER_LIMIT: Duration = Duration::from_secs(10);
const REQUEST_LIMIT: Duration = Duration::from_secs(30);
/// Connections served at once; more wait in the kernel's backlog.
const CONNECTIONS: usize = 64;

/// An alert notification acknowledged and not yet recorded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboxEntry {
    pub id: String,
    pub received_at: DateTime<Utc>,
    pub payload: serde_json::Value,
}

pub struct Server {
    pub address: SocketAddr,
    /// A message for every notification put in the inbox.
    pub queued: Receiver<()>,
}

struct State {
    token: Option<[u8; 32]>,
    inbox: Outbox,
    queued: Sender<()>,
}

/// Binds `listen` and serves on a thread of its own. A token, when given, is required as
/// `Authorization: Bearer TOKEN`.
pub fn start(listen: SocketAddr, token: Option<&str>, inbox: Outbox) -> Result<Server> {
    let listener = TcpListener::bind(listen).map_err(|e| {
        Error::runtime(format!("cannot listen on {listen}: {e}")).with_hint("is another receiver running?")
    })?;
    let address = listener.local_addr().map_err(|e| Error::runtime(format!("cannot listen on {listen}: {e}")))?;
    listener.set_nonblocking(true).map_err(|e| Error::runtime(format!("cannot listen on {listen}: {e}")))?;
    let (queued, receiver) = mpsc::channel();
    let state = Arc::new(State { token: token.map(digest), inbox, queued });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::runtime(format!("cannot start the receiver: {e}")))?;
    std::thread::spawn(move || runtime.block_on(serve(listener, state)));
    Ok(Server { address, queued: receiver })
}

async fn serve(listener: TcpListener, state: Arc<State>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
    let slots = Arc::new(tokio::sync::Semaphore::new(CONNECTIONS));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else { return };
        let Ok((stream, _)) = listener.accept().await else { continue };
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let state = state.clone();
                async move { Ok::<_, std::convert::Infallible>(answer(request, &state).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_LIMIT)
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(REQUEST_LIMIT, connection).await;
            drop(permit);
        });
    }
}

async fn answer(request: Request<Incoming>, state: &State) -> Response<Full<Bytes>> {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/healthz") => reply(StatusCode::OK, serde_json::json!({"status": "ok"})),
        (&Method::POST, "/alertmanager") => receive(request, state).await,
        (_, "/alertmanager" | "/healthz") => error(StatusCode::METHOD_NOT_ALLOWED, "use POST /alertmanager"),
        _ => error(StatusCode::NOT_FOUND, "Alertmanager's webhook is POST /alertmanager"),
    }
}

async fn receive(request: Request<Incoming>, state: &State) -> Response<Full<Bytes>> {
    if let Some(expected) = &state.token {
        let given = request.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let given = given.strip_prefix("Bearer ").unwrap_or_default();
        if !same(&digest(given), expected) {
            return error(StatusCode::UNAUTHORIZED, "a bearer token is required (http_config.authorization)");
        }
    }
    let declared = request.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_PAYLOAD) {
        return error(StatusCode::PAYLOAD_TOO_LARGE, &format!("at most {MAX_PAYLOAD} bytes"));
    }
    let bytes = match Limited::new(request.into_body(), MAX_PAYLOAD).collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return error(StatusCode::PAYLOAD_TOO_LARGE, &format!("at most {MAX_PAYLOAD} bytes"));
        }
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("cannot read the body: {e}")),
    };
    if let Err(e) = Notification::parse(&bytes) {
        return error(StatusCode::BAD_REQUEST, &e.to_string());
    }
    let Ok(payload) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return error(StatusCode::BAD_REQUEST, "not JSON");
    };
    let id = crate::context::new_event_id();
    let entry = InboxEntry { id: id.clone(), received_at: Utc::now(), payload };
    // Durable before acknowledged: Alertmanager retries what is not answered with a 2xx.
    if let Err(e) = state.inbox.put(&id, &entry) {
        return error(StatusCode::SERVICE_UNAVAILABLE, &format!("cannot queue the alert: {e}"));
    }
    let _ = state.queued.send(());
    reply(StatusCode::OK, serde_json::json!({"status": "queued", "id": id}))
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// Compares two digests in constant time: how much of a token was right never shows in timing.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn reply(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    response
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    reply(status, serde_json::json!({"status": "error", "error": message}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_comparison_needs_every_byte() {
        let token = digest("s3cret-token");
        assert!(same(&digest("s3cret-token"), &token));
        assert!(!same(&digest("s3cret-tokeN"), &token));
        assert!(!same(&digest(""), &token));
    }
}
