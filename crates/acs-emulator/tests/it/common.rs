//! A small client for the emulator: builds, signs and sends requests, and reads the answers.

#![allow(dead_code, unreachable_pub)] // Each test file uses a different part of this helper.

use acs_auth::HmacSigner;
use acs_emulator::RunningEmulator;
use http::{HeaderMap, Method, StatusCode};
use serde_json::Value;
use time::OffsetDateTime;

/// How a request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// HMAC with the emulator's own key, dated `at`.
    Hmac { at: OffsetDateTime },
    /// HMAC with this signer, dated `at`.
    HmacWith {
        signer: HmacSigner,
        at: OffsetDateTime,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// This exact `Authorization` value, and no other auth header.
    Raw(String),
    /// Nothing.
    None,
}

/// HMAC with the emulator's own key, dated now on the system clock.
pub fn hmac_now() -> Auth {
    Auth::Hmac {
        at: OffsetDateTime::now_utc(),
    }
}

/// HMAC with the emulator's own key, dated at `clock`'s reading.
pub fn hmac_on(clock: &impl acs_emulator::Clock) -> Auth {
    Auth::Hmac { at: clock.now() }
}

/// An answer: status, headers, body as text and as JSON (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Answer {
    /// The `error.code` of an error body.
    pub fn error_code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("<none>")
    }

    /// The `error.innererror.code` of an error body.
    pub fn inner_code(&self) -> &str {
        self.json["error"]["innererror"]["code"]
            .as_str()
            .unwrap_or("<none>")
    }

    /// Asserts the status and the service's error body.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str, inner: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(self.error_code(), code, "{}", self.text);
        assert_eq!(self.inner_code(), inner, "{}", self.text);
        assert!(self.json["error"]["message"].is_string(), "{}", self.text);
    }

    /// Asserts the status.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        self
    }

    /// Reads a response of the emulator.
    pub async fn read(response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            text,
            json,
        }
    }
}

/// Builds a request to `path_and_query` on `emulator`, signs it as `auth` says, sends it.
pub async fn send(
    emulator: &RunningEmulator,
    method: Method,
    path_and_query: &str,
    body: &[u8],
    auth: Auth,
) -> Answer {
    let url = format!("http://{}{}", emulator.local_addr(), path_and_query);
    let mut request = http::Request::builder()
        .method(method)
        .uri(&url)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .expect("a valid request");
    match auth {
        Auth::Hmac { at } => emulator
            .signer()
            .sign_at(&mut request, at)
            .expect("signable"),
        Auth::HmacWith { signer, at } => signer.sign_at(&mut request, at).expect("signable"),
        Auth::Bearer(token) => {
            request.headers_mut().insert(
                "authorization",
                format!("Bearer {token}").parse().expect("a header value"),
            );
        }
        Auth::Raw(value) => {
            request
                .headers_mut()
                .insert("authorization", value.parse().expect("a header value"));
        }
        Auth::None => {}
    }
    send_signed(request).await
}

/// Sends `body` to the emulator's control route `path` (`/_emulator/...`) as a local tool
/// would: JSON, with the control header.
pub async fn control(
    emulator: &RunningEmulator,
    method: Method,
    path: &str,
    body: &[u8],
) -> Answer {
    let url = format!("http://{}{}", emulator.local_addr(), path);
    let request = http::Request::builder()
        .method(method)
        .uri(&url)
        .header("content-type", "application/json")
        .header(acs_emulator::CONTROL_HEADER, "1")
        .body(body.to_vec())
        .expect("a valid request");
    send_signed(request).await
}

/// Writes `request` (raw HTTP/1.1 text, which should say `Connection: close`) to the emulator
/// over plain TCP and returns everything it answers until it closes the connection.
pub async fn raw(emulator: &RunningEmulator, request: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(emulator.local_addr())
        .await
        .expect("the emulator accepts");
    stream.write_all(request.as_bytes()).await.expect("written");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// Sends an already built (and possibly signed) request.
pub async fn send_signed(request: http::Request<Vec<u8>>) -> Answer {
    let request = reqwest::Request::try_from(request).expect("a reqwest request");
    let response = reqwest::Client::new()
        .execute(request)
        .await
        .expect("the emulator answers");
    Answer::read(response).await
}

/// The percent-encoded form of an identity ID for a path segment.
pub fn encode(id: &str) -> String {
    id.replace(':', "%3A")
}

/// The keys of a JSON object, sorted.
pub fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// A fresh directory under the target directory, removed on drop.
pub struct ScratchDir(pub std::path::PathBuf);

impl ScratchDir {
    pub fn new(name: &str) -> Self {
        let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "acs-emulator-{name}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let _ = std::fs::remove_dir_all(&path);
        Self(path)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
