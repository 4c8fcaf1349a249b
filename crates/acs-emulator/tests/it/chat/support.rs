//! A small chat client for the tests: makes users through the identity routes (HMAC), then
//! calls chat routes with their bearer tokens.

#![allow(dead_code, unreachable_pub)] // Each test module uses a different part of this helper.

use acs_emulator::{ChatLimits, Emulator, ManualClock, RunningEmulator};
use http::Method;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

pub use crate::common::Answer;

pub const START: OffsetDateTime = datetime!(2031-02-03 04:05:06 UTC);
/// The api-version Python 1.3.0 sends.
pub const V2024: &str = "2024-03-07";
/// The api-version JavaScript 1.6.0 sends.
pub const V2025: &str = "2025-03-15";

/// A user: raw ID and token.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub token: String,
}

pub struct Chat {
    pub emulator: RunningEmulator,
    pub clock: ManualClock,
    pub client: reqwest::Client,
}

impl Chat {
    pub async fn start() -> Self {
        Self::with_limits(ChatLimits::default()).await
    }

    pub async fn with_limits(limits: ChatLimits) -> Self {
        let clock = ManualClock::new(START);
        let emulator = Emulator::builder()
            .clock(clock.clone())
            .chat_limits(limits)
            .start()
            .await
            .expect("the emulator starts");
        Self {
            emulator,
            clock,
            client: reqwest::Client::new(),
        }
    }

    /// Sends `body` (raw bytes) with these headers.
    pub async fn raw(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Answer {
        let url = format!("http://{}{}", self.emulator.local_addr(), path_and_query);
        let mut request = self.client.request(method, url).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("the emulator answers");
        Answer::read(response).await
    }

    /// A chat call as `user` (api-version 2024-03-07 unless the path has one).
    pub async fn call(
        &self,
        user: &User,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let path = with_version(path, V2024);
        let authorization = format!("Bearer {}", user.token);
        let mut headers = vec![("authorization", authorization.as_str())];
        let bytes = match &body {
            Some(body) => {
                headers.push(("content-type", "application/json"));
                body.to_string().into_bytes()
            }
            None => Vec::new(),
        };
        self.raw(method, &path, &headers, bytes).await
    }

    pub async fn get(&self, user: &User, path: &str) -> Answer {
        self.call(user, Method::GET, path, None).await
    }

    pub async fn post(&self, user: &User, path: &str, body: Value) -> Answer {
        self.call(user, Method::POST, path, Some(body)).await
    }

    /// A signed identity request (HMAC with the emulator's key at the clock's time).
    async fn signed(
        &self,
        method: Method,
        path_and_query: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let url = format!("http://{}{}", self.emulator.local_addr(), path_and_query);
        let mut request = http::Request::builder()
            .method(method)
            .uri(url)
            .body(body)
            .unwrap();
        self.emulator
            .signer()
            .sign_at(&mut request, self.clock.now_utc())
            .unwrap();
        self.client
            .execute(reqwest::Request::try_from(request).unwrap())
            .await
            .unwrap()
    }

    /// A signed identity call that must succeed; its JSON answer.
    async fn identity(&self, path_and_query: &str, body: Value) -> Value {
        let response = self
            .signed(Method::POST, path_and_query, body.to_string().into_bytes())
            .await;
        assert!(response.status().is_success(), "{}", response.status());
        response.json().await.unwrap_or(Value::Null)
    }

    /// A new user with a token of these scopes.
    pub async fn user_with(&self, scopes: &[&str]) -> User {
        let created = self
            .identity(
                "/identities?api-version=2023-10-01",
                json!({ "createTokenWithScopes": scopes }),
            )
            .await;
        User {
            id: created["identity"]["id"].as_str().unwrap().to_owned(),
            token: created["accessToken"]["token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn user(&self) -> User {
        self.user_with(&["chat"]).await
    }

    pub async fn revoke(&self, user: &User) {
        self.identity(
            &format!(
                "/identities/{}/:revokeAccessTokens?api-version=2023-10-01",
                user.id.replace(':', "%3A")
            ),
            json!({}),
        )
        .await;
    }

    pub async fn delete_identity(&self, user: &User) {
        let path = format!(
            "/identities/{}?api-version=2023-10-01",
            user.id.replace(':', "%3A")
        );
        let response = self.signed(Method::DELETE, &path, Vec::new()).await;
        assert_eq!(response.status(), 204);
    }

    /// Creates a thread with these members (besides the creator); returns its ID.
    pub async fn thread(&self, creator: &User, members: &[&User]) -> String {
        let participants: Vec<Value> = members.iter().map(|user| participant(&user.id)).collect();
        let answer = self
            .post(
                creator,
                "/chat/threads",
                json!({ "topic": "test", "participants": participants }),
            )
            .await;
        answer.assert_status(201);
        answer.json["chatThread"]["id"].as_str().unwrap().to_owned()
    }

    pub async fn send(&self, user: &User, thread: &str, text: &str) -> String {
        let answer = self
            .post(
                user,
                &format!("{}/messages", thread_path(thread)),
                json!({ "content": text, "type": "text" }),
            )
            .await;
        answer.assert_status(201);
        answer.json["id"].as_str().unwrap().to_owned()
    }
}

/// `ManualClock::now`, named so it does not need the `Clock` trait in scope.
trait NowUtc {
    fn now_utc(&self) -> OffsetDateTime;
}

impl NowUtc for ManualClock {
    fn now_utc(&self) -> OffsetDateTime {
        acs_emulator::Clock::now(self)
    }
}

/// Adds `?api-version=` unless the path already has one.
pub fn with_version(path: &str, version: &str) -> String {
    if path.contains("api-version=") {
        path.to_owned()
    } else if path.contains('?') {
        format!("{path}&api-version={version}")
    } else {
        format!("{path}?api-version={version}")
    }
}

/// `/chat/threads/{id}` with the ID percent-encoded as the SDKs send it.
pub fn thread_path(thread: &str) -> String {
    format!(
        "/chat/threads/{}",
        thread.replace(':', "%3A").replace('@', "%40")
    )
}

/// A participant as Python 1.3.0 sends one: `rawId` plus the nested object, no `kind`.
pub fn participant(id: &str) -> Value {
    json!({ "communicationIdentifier": { "rawId": id, "communicationUser": { "id": id } } })
}

/// The path and query of an absolute nextLink.
pub fn path_of(link: &str) -> String {
    let url = reqwest::Url::parse(link).expect("an absolute nextLink");
    format!("{}?{}", url.path(), url.query().unwrap_or_default())
}
