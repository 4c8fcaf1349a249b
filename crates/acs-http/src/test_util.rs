//! A scripted HTTP server on `127.0.0.1` for tests of ACS clients (feature `test-util`).
//!
//! The server answers with the replies queued by the test, in order, then with its responder
//! (by default 404), and records every request with the tokio instant it arrived, so tests under
//! paused time can check retry delays exactly.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use acs_http::test_util::{Reply, TestServer};
//!
//! let server = TestServer::start().await;
//! server.enqueue(Reply::status(503).header("retry-after", "0"));
//! server.enqueue(Reply::json(200, serde_json::json!({"ok": true})));
//! // ... point the client under test at server.url() ...
//! # }
//! ```
//!
//! [`DocQuotes`] checks that a documentation page quotes error texts word for word.

use std::collections::VecDeque;
use std::error::Error;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// A canned answer.
#[derive(Clone)]
pub struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    delay: Option<Duration>,
    never: bool,
}

impl Reply {
    /// An empty answer with a status. An invalid status code becomes 500.
    pub fn status(status: u16) -> Self {
        Reply {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            delay: None,
            never: false,
        }
    }

    /// A JSON answer.
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Reply::status(status)
            .header("content-type", "application/json")
            .body(body.to_string())
    }

    /// An ACS error answer: `{"error":{"code":..,"message":..}}`.
    pub fn acs_error(status: u16, code: &str, message: &str) -> Self {
        Reply::json(
            status,
            serde_json::json!({"error": {"code": code, "message": message}}),
        )
    }

    /// Adds a header. Invalid names or values are skipped.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            self.headers.append(name, value);
        }
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Waits this long (tokio time) before answering.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Never answers (the connection stays open), to test timeouts.
    pub fn never() -> Self {
        Reply {
            never: true,
            ..Reply::status(200)
        }
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .field("delay", &self.delay)
            .field("never", &self.never)
            .finish()
    }
}

/// A request the server received.
#[derive(Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// The path, e.g. `/access/entra/:exchangeAccessToken`.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// When it arrived, on tokio's clock (exact under paused time).
    pub received_at: Instant,
}

impl RecordedRequest {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The request as an `http::Request` sent to `base_url` ([`TestServer::url`]), with the
    /// recorded method, path, query, headers and body: what a signature verifier takes.
    ///
    /// # Panics
    ///
    /// When `base_url` and the recorded path do not form a URI.
    pub fn to_http_request(&self, base_url: &str) -> http::Request<Bytes> {
        let query = self.query.as_deref().map(|query| format!("?{query}"));
        let mut request = http::Request::builder()
            .method(self.method.clone())
            .uri(format!(
                "{base_url}{}{}",
                self.path,
                query.as_deref().unwrap_or_default()
            ))
            .body(self.body.clone())
            .expect("a base URL and a recorded path form a URI");
        *request.headers_mut() = self.headers.clone();
        request
    }
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Requests carry bearer tokens: show header names only.
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_len", &self.body.len())
            .finish()
    }
}

type Responder = Arc<dyn Fn(&RecordedRequest) -> Reply + Send + Sync>;

struct State {
    queue: VecDeque<Reply>,
    responder: Option<Responder>,
    requests: Vec<RecordedRequest>,
}

/// A scripted HTTP/1.1 server on `127.0.0.1`, stopped when dropped.
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl TestServer {
    /// Starts a server on an ephemeral port of `127.0.0.1` (needs a tokio runtime).
    ///
    /// # Panics
    /// When no port can be bound: a test set-up failure.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0 for the test server");
        let addr = listener.local_addr().expect("test server address");
        let state = Arc::new(Mutex::new(State {
            queue: VecDeque::new(),
            responder: None,
            requests: Vec::new(),
        }));
        let shared = Arc::clone(&state);
        let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let state = Arc::clone(&shared);
            async move { answer(state, request).await }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer { addr, state, task }
    }

    /// The base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a reply for the next request not yet answered.
    pub fn enqueue(&self, reply: Reply) {
        self.lock().queue.push_back(reply);
    }

    /// Answers requests with `responder` once the queue is empty.
    pub fn respond_with(
        &self,
        responder: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
    ) {
        self.lock().responder = Some(Arc::new(responder));
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// How many requests were received.
    pub fn request_count(&self) -> usize {
        self.lock().requests.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn answer(
    state: Arc<Mutex<State>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let received_at = Instant::now();
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let recorded = RecordedRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
        received_at,
    };
    let reply = {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.requests.push(recorded.clone());
        match state.queue.pop_front() {
            Some(reply) => reply,
            None => match &state.responder {
                Some(responder) => responder(&recorded),
                None => Reply::acs_error(
                    404,
                    "NoReplyScripted",
                    "the test queued no reply for this request",
                ),
            },
        }
    };
    if reply.never {
        std::future::pending::<()>().await;
    }
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    let mut response = axum::response::Response::new(Body::from(reply.body));
    *response.status_mut() = reply.status;
    *response.headers_mut() = reply.headers;
    response
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl fmt::Debug for TestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestServer")
            .field("addr", &self.addr)
            .field("requests", &self.request_count())
            .finish()
    }
}

/// Checks that a documentation page quotes error texts word for word, each at the end of a
/// line, so the page cannot drift from the code. Collect the texts, then [`check`](Self::check)
/// once to see every missing one.
///
/// ```
/// use acs_http::test_util::DocQuotes;
///
/// let page = "- `token has no expiry`\nThe error reads:\n    token has no expiry\n";
/// let mut quotes = DocQuotes::new(page);
/// quotes.quotes_text("token has no expiry");
/// quotes.check();
/// ```
#[derive(Debug)]
pub struct DocQuotes {
    page: &'static str,
    missing: Vec<String>,
}

impl DocQuotes {
    /// A check against `page` (typically `include_str!` of the page).
    pub fn new(page: &'static str) -> Self {
        DocQuotes {
            page,
            missing: Vec::new(),
        }
    }

    /// Every level of `error`'s `source()` chain must be quoted.
    pub fn quotes(&mut self, error: &(dyn Error + 'static)) {
        let mut level = Some(error);
        while let Some(error) = level {
            self.quotes_text(&error.to_string());
            level = error.source();
        }
    }

    /// `text` must be quoted; a trailing ` [x-ms-client-request-id: ...]` is left out, as every
    /// request has its own id.
    pub fn quotes_text(&mut self, text: &str) {
        let text = match text.rfind(" [x-ms-client-request-id: ") {
            Some(at) if text.ends_with(']') => &text[..at],
            _ => text,
        };
        if !self.page.contains(&format!("{text}\n")) {
            self.missing.push(text.to_owned());
        }
    }

    /// # Panics
    /// When a text given so far is not on the page, listing every such text.
    pub fn check(self) {
        assert!(
            self.missing.is_empty(),
            "the page does not quote these error texts:\n{}",
            self.missing.join("\n")
        );
    }
}
