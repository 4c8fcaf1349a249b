//! Runs `examples/token_server.rs` and `examples/token_client.rs` together, in this process, on
//! 127.0.0.1 ports chosen by the system.
//!
//! Like the quickstart's test, the client's test runs on real time on purpose (real HTTP, wall
//! clock expiries, 2-second tokens): it waits on events, each bounded by a timeout, never for a
//! fixed time. The refresh timing itself is tested on tokio's paused clock in `acs-refresh`.

#[allow(dead_code)]
#[path = "../../../../examples/token_client.rs"]
mod client;
#[allow(dead_code)]
#[path = "../../../../examples/token_server.rs"]
mod server;

use std::time::Duration;

use acs_common::token::{AccessToken, OffsetDateTime, TokenClaims};
use acs_emulator::{Fault, Route};
use client::ClientConfig;
use server::{ServerConfig, TokenServer, USER_HEADER};
use time::format_description::well_known::Rfc3339;

async fn start_server(token_lifetime: Duration) -> TokenServer {
    TokenServer::start(ServerConfig {
        port: 0,
        token_lifetime,
        connection_string: None,
    })
    .await
    .expect("the token server starts")
}

/// The `x-app-user` the token was issued for, by the ACS identity in its claims.
fn identity_of(token: &AccessToken) -> String {
    TokenClaims::decode(token.token())
        .expect("an ACS token")
        .skype_id
        .expect("a skypeid claim")
}

async fn request_token(
    http: &reqwest::Client,
    server: &TokenServer,
    user: &str,
) -> reqwest::Response {
    http.post(server.url())
        .header(USER_HEADER, user)
        .send()
        .await
        .expect("the server answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_watches_its_credential_refresh_from_the_server() {
    let server = start_server(Duration::from_secs(2)).await;
    let config = ClientConfig {
        url: server.url(),
        user: "alice".to_owned(),
        refreshes: 2,
    };
    let mut out = Vec::new();
    client::run(&mut out, config)
        .await
        .expect("the client runs");
    let printed = String::from_utf8(out).expect("UTF-8 output");

    // Each printed expiry is RFC 3339, and each refresh brings a later one.
    let expiry = |prefix: &str| -> OffsetDateTime {
        let line = printed
            .lines()
            .find(|line| line.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{printed}"));
        let text = line
            .split("expires on ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_else(|| panic!("no expiry in {line:?}"));
        OffsetDateTime::parse(text, &Rfc3339)
            .unwrap_or_else(|error| panic!("{text:?} is not RFC 3339: {error}"))
    };
    let first = expiry("first token:");
    let second = expiry("refresh 1:");
    let third = expiry("refresh 2:");
    assert!(first < second && second < third, "{printed}");
    assert!(!printed.contains("refresh 3:"), "{printed}");
    assert!(
        printed.contains("token client: 2 refreshes watched, done"),
        "{printed}"
    );
    assert!(
        !printed.contains("eyJ"),
        "a token reached the output:\n{printed}"
    );

    // One identity for alice, reused by every refresh.
    let emulator = server.emulator().expect("an in-process emulator");
    let identities = emulator.identities();
    assert_eq!(identities.len(), 1, "{identities:?}");
    assert_eq!(emulator.request_count(Route::CreateIdentity), 1);
    // The first token and one per watched refresh; a slow machine may have started the next.
    let issued = emulator.tokens_issued(&identities[0]);
    assert!((3..=4).contains(&issued), "{issued} tokens issued");
    server.shutdown().await.expect("the server stops cleanly");
}

#[tokio::test]
async fn server_answers_the_access_token_json_and_keeps_one_identity_per_user() {
    let server = start_server(Duration::from_secs(600)).await;
    let http = reqwest::Client::new();

    let response = request_token(&http, &server, "alice").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "{response:?}"
    );
    let body: serde_json::Value = response.json().await.expect("a JSON body");
    let fields: Vec<&str> = body
        .as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields, ["expiresOn", "token"], "{fields:?}");
    let alice_first: AccessToken = serde_json::from_value(body).expect("an AccessToken");
    // `expiresOn` is the token's own `exp`, about ten minutes away.
    let claims = TokenClaims::decode(alice_first.token()).expect("an ACS token");
    assert_eq!(
        alice_first.expires_on().unix_timestamp(),
        claims.expires_on.unix_timestamp()
    );
    assert!(alice_first.remaining() > Duration::from_secs(500));
    assert_eq!(claims.acs_scopes, ["chat", "voip"]);

    let alice_again: AccessToken = request_token(&http, &server, "alice")
        .await
        .json()
        .await
        .expect("an AccessToken");
    let bob: AccessToken = request_token(&http, &server, "bob")
        .await
        .json()
        .await
        .expect("an AccessToken");
    assert_ne!(
        alice_again.token(),
        alice_first.token(),
        "a new token each time"
    );
    assert_eq!(identity_of(&alice_again), identity_of(&alice_first));
    assert_ne!(identity_of(&bob), identity_of(&alice_first));

    let emulator = server.emulator().expect("an in-process emulator");
    assert_eq!(emulator.identities().len(), 2);
    assert_eq!(emulator.request_count(Route::CreateIdentity), 2);
    server.shutdown().await.expect("the server stops cleanly");
}

#[tokio::test]
async fn server_refuses_callers_without_a_user_and_reports_service_failures() {
    let server = start_server(Duration::from_secs(600)).await;
    let http = reqwest::Client::new();

    let anonymous = http
        .post(server.url())
        .send()
        .await
        .expect("the server answers");
    assert_eq!(anonymous.status(), 401);
    let text = anonymous.text().await.expect("a text body");
    assert!(text.contains("x-app-user"), "{text}");

    // The identity service refuses (a 403 is not retried): the caller gets a 502 that says so,
    // without the resource's access key.
    let emulator = server.emulator().expect("an in-process emulator");
    emulator.inject(Fault::status(403).on(Route::CreateIdentity));
    let refused = request_token(&http, &server, "carol").await;
    assert_eq!(refused.status(), 502);
    let text = refused.text().await.expect("a text body");
    assert!(text.contains("the identity service failed"), "{text}");
    assert!(text.contains("403"), "{text}");
    let key = emulator.connection_string();
    let key = key.split("accesskey=").nth(1).expect("a key");
    assert!(!text.contains(key), "{text}");

    // Nothing was remembered for carol: her next request creates her identity.
    let retried = request_token(&http, &server, "carol").await;
    assert_eq!(retried.status(), 200);
    assert_eq!(emulator.identities().len(), 1);
    server.shutdown().await.expect("the server stops cleanly");
}
