//! The fake Entra credential and a fake exchange service on 127.0.0.1.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub use acs_entra::test_util::FakeEntraCredential;
use acs_entra::{EntraCommunicationTokenCredentialOptions, ExchangeRoute};
use acs_http::test_util::{Reply, TestServer};
use acs_http::{HttpClient, RetryPolicy, format_expires_on};
use acs_refresh::test_util::TokioClock;
use acs_token::test_util::TokenBuilder;
use time::OffsetDateTime;

/// Entra token texts are recognisable so tests can look for them in output.
pub const ENTRA_TOKEN_1: &str = "entra-SECRET-token-one";
pub const ENTRA_TOKEN_2: &str = "entra-SECRET-token-two";

/// The fake exchange service: answers every request with a fresh ACS token valid for
/// `lifetime` from the test clock's now, its `expiresOn` in the given offset.
pub struct ExchangeService {
    pub server: TestServer,
    pub clock: TokioClock,
}

pub const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

impl ExchangeService {
    pub async fn start() -> Self {
        let clock = TokioClock::starting_at(time::macros::datetime!(2030-01-01 0:00 UTC));
        let server = TestServer::start().await;
        let minting = clock.clone();
        let issued = Arc::new(AtomicUsize::new(0));
        server.respond_with(move |_| {
            let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
            let expires = minting.now_utc() + TOKEN_LIFETIME;
            token_reply(&acs_token_text(n, expires), expires)
        });
        ExchangeService { server, clock }
    }

    pub fn bearer_tokens(&self) -> Vec<String> {
        self.server
            .requests()
            .iter()
            .map(|r| r.header("authorization").unwrap_or_default().to_owned())
            .collect()
    }
}

/// ACS token texts contain a recognisable marker too.
pub fn acs_token_text(n: usize, expires: OffsetDateTime) -> String {
    TokenBuilder::new()
        .expires_on(expires)
        .claim("marker", format!("ACS-SECRET-{n}"))
        .build()
}

pub fn token_reply(token: &str, expires: OffsetDateTime) -> Reply {
    Reply::json(
        200,
        serde_json::json!({
            "identity": {"id": "8:acs:resource_user"},
            "accessToken": {"token": token, "expiresOn": format_expires_on(expires)}
        }),
    )
}

/// A client with exact (jitter-free) retries and a short per-attempt timeout.
pub fn http() -> HttpClient {
    HttpClient::builder()
        .request_timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy::default().without_jitter())
        .build()
        .expect("http client")
}

pub fn options(
    service: &ExchangeService,
    entra: &Arc<FakeEntraCredential>,
) -> EntraCommunicationTokenCredentialOptions {
    EntraCommunicationTokenCredentialOptions::new(service.server.url(), entra.clone())
        .http_client(http())
        .wall_clock(service.clock.clone())
}

pub fn route_of(options: &EntraCommunicationTokenCredentialOptions) -> ExchangeRoute {
    options.route()
}
