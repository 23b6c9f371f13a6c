//! Posting deliveries: all at once, each with its webhook's timeout, the whole by a deadline.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::DeliveryError;

/// One POST to make.
pub(super) struct Request {
    /// Where the result goes in the caller's list.
    pub index: usize,
    pub url: String,
    pub body: Vec<u8>,
    /// The delivery's id: a receiver that saw it already can drop a repeat (a crash after
    /// the send and before the outbox entry was removed).
    pub idempotency_key: String,
    /// How long to wait for the answer once sent.
    pub timeout: Duration,
}

/// Called with a request's index just before it is sent (and not for one never sent), so the
/// caller can record the attempt durably first.
pub(super) type Started = Arc<dyn Fn(usize) + Send + Sync>;

/// Posts the chains concurrently, each chain's requests one after another (stopping at the
/// first that fails: the rest are `Waiting`), and returns `(index, outcome)` for each by
/// `deadline`: `Ok` for a 2xx, else why not. A request sent and not answered by then is
/// `NoAnswer` (it may have been posted); one never sent is `Waiting`.
pub(super) fn post_all(
    chains: Vec<Vec<Request>>,
    deadline: Instant,
    started: &Started,
) -> Vec<(usize, Result<(), DeliveryError>)> {
    if chains.iter().all(Vec::is_empty) {
        return Vec::new();
    }
    let indexes: Vec<(usize, Duration)> = chains.iter().flatten().map(|r| (r.index, r.timeout)).collect();
    let fail_all = |why: String| indexes.iter().map(|&(i, _)| (i, Err(DeliveryError::Setup(why.clone())))).collect();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail_all(format!("cannot start sending: {e}")),
    };
    let remaining = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
    let client = match crate::trust::http_client_builder()
        // A redirect would send the payload somewhere the configuration did not name.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(remaining.min(CONNECT_TIMEOUT))
        .build()
    {
        Ok(client) => client,
        Err(e) => return fail_all(format!("cannot set up HTTP: {e}")),
    };
    let sent: Arc<std::sync::Mutex<Vec<usize>>> = Arc::default();
    runtime.block_on(async move {
        let mut set = tokio::task::JoinSet::new();
        for chain in chains {
            let client = client.clone();
            let (started, sent) = (started.clone(), sent.clone());
            set.spawn(async move {
                let mut outcomes = Vec::new();
                let mut failed = false;
                for request in chain {
                    let index = request.index;
                    let outcome = if failed {
                        Err(DeliveryError::Waiting)
                    } else {
                        started(index);
                        sent.lock().map(|mut s| s.push(index)).unwrap_or(());
                        post(&client, request).await
                    };
                    failed |= outcome.is_err();
                    outcomes.push((index, outcome));
                }
                outcomes
            });
        }
        let mut results = Vec::new();
        // Each request has its own timeout of the remaining budget; this bounds the whole.
        let _ = tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), async {
            while let Some(joined) = set.join_next().await {
                if let Ok(outcomes) = joined {
                    results.extend(outcomes);
                }
            }
        })
        .await;
        let sent = sent.lock().map(|s| s.clone()).unwrap_or_default();
        for &(index, timeout) in &indexes {
            if !results.iter().any(|(i, _)| *i == index) {
                let why = if sent.contains(&index) {
                    DeliveryError::NoAnswer(timeout.as_secs())
                } else {
                    DeliveryError::Waiting
                };
                results.push((index, Err(why)));
            }
        }
        results
    })
}

/// Connecting gets at most this long, whatever the webhook's timeout: nothing is sent before.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

async fn post(client: &reqwest::Client, request: Request) -> Result<(), DeliveryError> {
    let response = client
        .post(&request.url)
        .timeout(request.timeout)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", &request.idempotency_key)
        .body(request.body)
        .send()
        .await
        .map_err(|e| describe(e, request.timeout))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = response.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok());
    match retry_after.and_then(retry_after_secs) {
        Some(secs) => Err(DeliveryError::RetryAfter { status: status.as_u16(), secs }),
        None => Err(DeliveryError::Status(status.as_u16())),
    }
}

/// `Retry-After` as seconds to wait: a number of seconds, or an HTTP date.
fn retry_after_secs(value: &str) -> Option<i64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<i64>() {
        return Some(secs.max(0));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some((at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds().max(0))
}

/// An error with its causes, without the URL (the caller masks what is left).
fn describe(err: reqwest::Error, timeout: Duration) -> DeliveryError {
    // A connection never made sent nothing: it can be retried whatever the receiver.
    if err.is_timeout() && !err.is_connect() {
        return DeliveryError::NoAnswer(timeout.as_secs());
    }
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    DeliveryError::Transport(text)
}
