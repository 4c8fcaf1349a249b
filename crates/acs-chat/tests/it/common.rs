//! Shared set-up: tokens, credentials, a client for a scripted server, JSON fixtures.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use acs_chat::{ChatClient, ChatThreadClient, CommunicationTokenCredential};
use acs_http::RetryPolicy;
use acs_http::test_util::TestServer;
use acs_refresh::CommunicationTokenRefreshOptions;
use acs_token::test_util::TokenBuilder;
use serde_json::{Value, json};

/// A thread id with the characters that need percent-encoding in a path.
pub(crate) const THREAD_ID: &str = "19:a9c2f6d4e1b54c0f8d3e7a6b5c4d3e2f@thread.v2";
/// [`THREAD_ID`] as the official SDKs put it in a path.
pub(crate) const THREAD_PATH: &str =
    "/chat/threads/19%3Aa9c2f6d4e1b54c0f8d3e7a6b5c4d3e2f%40thread.v2";

/// A distinct, unexpired user token (year 3000) numbered `n`.
pub(crate) fn jwt(n: u32) -> String {
    TokenBuilder::new()
        .claim("skypeid", format!("acs:res_user{n}"))
        .acs_scopes(["chat"])
        .build()
}

/// The raw ID of test user `n`.
pub(crate) fn raw_id(n: u32) -> String {
    format!("8:acs:res_user{n}")
}

/// A credential that always hands out `jwt(1)`.
pub(crate) fn static_credential() -> CommunicationTokenCredential {
    CommunicationTokenCredential::from_token(&jwt(1)).expect("a valid token")
}

/// A refreshing credential whose refresher hands out `jwt(1)`, `jwt(2)`, ... and counts its
/// calls.
pub(crate) fn counting_credential() -> (CommunicationTokenCredential, Arc<AtomicU32>) {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&calls);
    let refresher = move || {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move { Ok::<_, std::io::Error>(jwt(n)) }
    };
    let credential = CommunicationTokenCredential::with_refresh(
        CommunicationTokenRefreshOptions::new(refresher),
    );
    (credential, calls)
}

/// The default retry policy without jitter, so delays are exact under paused time.
pub(crate) fn exact() -> RetryPolicy {
    RetryPolicy::default().without_jitter()
}

/// A chat client for `server`.
pub(crate) fn client_with(
    server: &TestServer,
    credential: CommunicationTokenCredential,
) -> ChatClient {
    ChatClient::builder(&server.url(), credential)
        .retry_policy(exact())
        .build()
        .expect("client")
}

/// A chat client for `server` with [`static_credential`].
pub(crate) fn client(server: &TestServer) -> ChatClient {
    client_with(server, static_credential())
}

/// A thread client for [`THREAD_ID`] on `server`.
pub(crate) fn thread(server: &TestServer) -> ChatThreadClient {
    client(server)
        .chat_thread_client(THREAD_ID)
        .expect("thread client")
}

/// An identifier as the service writes it in answers.
pub(crate) fn identifier_json(n: u32) -> Value {
    json!({"kind": "communicationUser", "rawId": raw_id(n), "communicationUser": {"id": raw_id(n)}})
}

/// Thread properties as the service writes them.
pub(crate) fn thread_json() -> Value {
    json!({
        "id": THREAD_ID,
        "topic": "Lunch",
        "createdOn": "2024-05-01T10:00:00Z",
        "createdByCommunicationIdentifier": identifier_json(1),
    })
}

/// A user message as the service writes it.
pub(crate) fn message_json(sequence: u64) -> Value {
    json!({
        "id": format!("{}", 1_700_000_000_000_u64 + sequence),
        "type": "text",
        "sequenceId": sequence.to_string(),
        "version": format!("{}", 1_700_000_000_000_u64 + sequence),
        "createdOn": "2024-05-01T10:00:00Z",
        "content": {"message": format!("message {sequence}")},
        "senderDisplayName": "Ada",
        "senderCommunicationIdentifier": identifier_json(1),
    })
}

/// The bearer token of a recorded request.
pub(crate) fn bearer(request: &acs_http::test_util::RecordedRequest) -> String {
    request
        .header("authorization")
        .and_then(|value| value.strip_prefix("Bearer "))
        .expect("a bearer token")
        .to_owned()
}

/// Short accessors for assertions, through the one public way: `http_error()` for what any
/// failed request has, `ServiceErrorSource` for the service's answer.
pub(crate) trait Inspect {
    fn status(&self) -> Option<http::StatusCode>;
    fn code(&self) -> Option<&str>;
    fn message(&self) -> Option<&str>;
    fn request_id(&self) -> Option<&str>;
    fn client_request_id(&self) -> Option<&str>;
    fn attempts(&self) -> Option<u32>;
}

impl Inspect for acs_chat::ChatError {
    fn status(&self) -> Option<http::StatusCode> {
        self.http_error().and_then(acs_http::HttpError::status)
    }
    fn code(&self) -> Option<&str> {
        acs_chat::ServiceErrorSource::service_error(self).and_then(|e| e.code())
    }
    fn message(&self) -> Option<&str> {
        acs_chat::ServiceErrorSource::service_error(self).and_then(|e| e.message())
    }
    fn request_id(&self) -> Option<&str> {
        self.http_error().and_then(acs_http::HttpError::request_id)
    }
    fn client_request_id(&self) -> Option<&str> {
        self.http_error()
            .and_then(acs_http::HttpError::client_request_id)
    }
    fn attempts(&self) -> Option<u32> {
        self.http_error().and_then(acs_http::HttpError::attempts)
    }
}
