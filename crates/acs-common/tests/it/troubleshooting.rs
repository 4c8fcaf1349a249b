//! Produces every error that docs/troubleshooting.md describes, for real, and checks that the
//! page quotes each one (and each error in its `source()` chain) word for word, so the page
//! cannot drift from the code.

use std::error::Error;
use std::future::Future;
use std::io::{Read, Write};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use acs_common::auth::{
    AccessKey, AuthError, ConnectionString, HmacSigner, HmacVerifier, RequestParts,
};
use acs_common::credential::{
    CommunicationTokenCredential, CommunicationTokenRefreshOptions, CredentialError,
};
use acs_common::entra::{EntraError, ExchangeRoute};
use acs_common::identity::{
    CommunicationIdentityClient, CommunicationTokenScope, IdentityError, ServiceErrorSource,
};
use acs_common::token::test_util::{Malformation, TokenBuilder};
use acs_common::token::{AccessToken, TokenError};
use acs_emulator::{Clock, Emulator};
use acs_http::test_util::DocQuotes;
use time::OffsetDateTime;
use time::macros::datetime;

const PAGE: &str = include_str!("../../../../docs/troubleshooting.md");

/// The year-3000 sample token of the official tests.
const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjMyNTAzNjgwMDAwfQ.9i7FNNHHJT8cOzo-yrAUJyBSfJ-tPPk2emcHavOEpWc";
/// Payload `{"exp":100}`: expired since 1970.
const EXPIRED_JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEwMH0.9i7FNNHHJT8cOzo-yrAUJyBSfJ-tPPk2emcHavOEpWc";

#[test]
fn token_mistakes_are_documented() {
    let mut page = DocQuotes::new(PAGE);
    let five_parts = TokenBuilder::new()
        .exp(2_000_000_000)
        .malformed(Malformation::FiveParts)
        .build();
    let missing_exp = TokenBuilder::new()
        .malformed(Malformation::MissingExp)
        .build();
    let cases: Vec<(String, TokenError)> = vec![
        (format!("Bearer {JWT}"), TokenError::BearerPrefix),
        (format!("\"{JWT}\""), TokenError::Quoted),
        (format!("{JWT}\n"), TokenError::SurroundingWhitespace),
        (
            format!(r#"{{"token":"{JWT}","expiresOn":"3000-01-01T00:00:00.0000000+00:00"}}"#),
            TokenError::JsonDocument,
        ),
        (five_parts, TokenError::Encrypted),
        (
            "foo.bar".to_owned(),
            TokenError::WrongPartCount { parts: 2 },
        ),
        (
            "IAmNotAToken".to_owned(),
            TokenError::WrongPartCount { parts: 1 },
        ),
        (missing_exp, TokenError::MissingExpiry),
        (String::new(), TokenError::Empty),
    ];
    for (input, expected) in cases {
        let error = input.parse::<AccessToken>().expect_err("a malformed token");
        assert_eq!(error, expected);
        // The static credential reports the same error.
        let from_credential =
            CommunicationTokenCredential::from_token(&input).expect_err("rejected");
        assert_eq!(from_credential, expected);
        page.quotes(&error);
    }
    // Three parts that are not a JWT: the decoder names the part.
    let error = "foo.bar.foobar"
        .parse::<AccessToken>()
        .expect_err("not a JWT");
    assert!(matches!(
        error,
        TokenError::InvalidBase64 { .. } | TokenError::InvalidJson { .. }
    ));
    page.quotes(&error);
    page.check();
}

fn refreshing(
    refresher: impl acs_common::credential::TokenRefresher,
) -> CommunicationTokenCredential {
    CommunicationTokenCredential::with_refresh(
        CommunicationTokenRefreshOptions::new(refresher).refresher_timeout(Duration::from_secs(10)),
    )
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn refresher_failures_are_documented() {
    let mut page = DocQuotes::new(PAGE);

    let expired = refreshing(|| async { Ok::<_, std::io::Error>(EXPIRED_JWT.to_owned()) });
    let error = expired.get_token().await.expect_err("an expired token");
    assert!(matches!(error, CredentialError::ExpiredToken { .. }));
    page.quotes(&error);

    let unreadable = refreshing(|| async { Ok::<_, std::io::Error>(format!("Bearer {JWT}")) });
    let error = unreadable
        .get_token()
        .await
        .expect_err("an unreadable token");
    assert!(matches!(
        error,
        CredentialError::InvalidToken(TokenError::BearerPrefix)
    ));
    page.quotes(&error);

    let failing = refreshing(|| async {
        Err::<String, _>(std::io::Error::other("my token server answered 503"))
    });
    let error = failing
        .get_token()
        .await
        .expect_err("the refresher's error");
    assert!(matches!(error, CredentialError::Refresher(_)));
    assert_eq!(
        error.source().map(ToString::to_string).as_deref(),
        Some("my token server answered 503")
    );
    page.quotes_text(&error.to_string());

    // Paused time: the 10 s timeout elapses at once.
    let hanging = refreshing(std::future::pending::<Result<String, std::io::Error>>);
    let error = hanging.get_token().await.expect_err("a timeout");
    assert!(matches!(error, CredentialError::Timeout { .. }));
    page.quotes(&error);

    let panicking = refreshing(|| async {
        if true {
            panic!("the refresher panics on purpose (troubleshooting test)");
        }
        Ok::<String, std::io::Error>(String::new())
    });
    let error = panicking.get_token().await.expect_err("a panic");
    assert!(matches!(error, CredentialError::RefresherPanicked));
    page.quotes(&error);

    let closed = CommunicationTokenCredential::from_token(JWT).expect("a valid token");
    closed.close();
    let error = closed.get_token().await.expect_err("closed");
    assert!(matches!(error, CredentialError::Closed));
    page.quotes(&error);

    page.check();
}

#[test]
fn get_token_outside_a_runtime_is_documented() {
    let credential = refreshing(|| async { Ok::<_, std::io::Error>(JWT.to_owned()) });
    let mut future = pin!(credential.get_token());
    let mut context = Context::from_waker(Waker::noop());
    let Poll::Ready(result) = future.as_mut().poll(&mut context) else {
        panic!("get_token outside a runtime should fail at once");
    };
    let error = result.expect_err("no runtime");
    assert!(matches!(error, CredentialError::NoRuntime));
    let mut page = DocQuotes::new(PAGE);
    page.quotes(&error);
    page.check();
}

#[test]
fn scope_errors_are_documented() {
    let mut page = DocQuotes::new(PAGE);
    let empty = ExchangeRoute::for_scopes::<&str>(&[]).expect_err("no scopes");
    assert!(matches!(empty, EntraError::EmptyScopes));
    page.quotes(&empty);
    let mixed = ExchangeRoute::for_scopes(&[
        "https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls",
        "https://communication.azure.com/clients/VoIP",
    ])
    .expect_err("mixed scopes");
    assert!(matches!(mixed, EntraError::InvalidScopes));
    page.quotes(&mixed);
    let unknown =
        ExchangeRoute::for_scopes(&["https://graph.microsoft.com/.default"]).expect_err("unknown");
    assert!(matches!(unknown, EntraError::InvalidScopes));
    page.check();
}

#[test]
fn connection_string_and_endpoint_errors_are_documented() {
    let mut page = DocQuotes::new(PAGE);
    let cases = [
        ("accesskey=pw==", AuthError::MissingEndpoint),
        (
            "endpoint=https://contoso.communication.azure.com/",
            AuthError::MissingAccessKey,
        ),
        (
            "endpoint=https://contoso.communication.azure.com/;accesskey=not base64!",
            AuthError::InvalidAccessKey,
        ),
    ];
    for (text, expected) in cases {
        let error = text
            .parse::<ConnectionString>()
            .expect_err("a bad connection string");
        assert_eq!(error, expected);
        page.quotes(&error);
        let error =
            CommunicationIdentityClient::from_connection_string(text).expect_err("rejected");
        assert!(matches!(error, IdentityError::ConnectionString(_)));
        page.quotes(&error);
    }
    let insecure = "endpoint=http://contoso.communication.azure.com/;accesskey=pw==";
    let error = CommunicationIdentityClient::from_connection_string(insecure).expect_err("http");
    assert!(matches!(error, IdentityError::Endpoint(_)));
    page.quotes(&error);
    // Loopback hosts may use http (the emulator).
    CommunicationIdentityClient::from_connection_string(
        "endpoint=http://127.0.0.1:8080/;accesskey=pw==",
    )
    .expect("http on loopback is allowed");
    page.check();
}

#[test]
fn identity_argument_errors_are_documented() {
    let mut page = DocQuotes::new(PAGE);
    let error = ""
        .parse::<CommunicationTokenScope>()
        .expect_err("empty scope");
    page.quotes(&error);
    page.check();
}

/// Reads a whole emulator answer from the page's point of view: the ACS error `message`.
fn error_message(body: &str) -> String {
    let start = body.find(r#""message":""#).expect("an ACS error body") + r#""message":""#.len();
    let end = start + body[start..].find('"').expect("a closed string");
    body[start..end].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_errors_are_documented() {
    let mut page = DocQuotes::new(PAGE);
    let emulator = Emulator::start().await.expect("the emulator starts");

    // 404 after delete.
    let client = CommunicationIdentityClient::from_connection_string(&emulator.connection_string())
        .expect("a client");
    let user = client.create_user().await.expect("a user");
    client.delete_user(&user).await.expect("deleted");
    let error = client
        .get_token(&user, [CommunicationTokenScope::Chat], None)
        .await
        .expect_err("the user is gone");
    assert!(error.is_not_found());
    page.quotes(&error);

    // A lifetime that is not whole minutes and no scopes, caught before sending.
    let error = client
        .get_token(
            &user,
            [CommunicationTokenScope::Chat],
            Some(Duration::from_secs(90 * 60 + 30)),
        )
        .await
        .expect_err("not whole minutes");
    page.quotes(&error);
    let error = client
        .get_token(&user, Vec::<CommunicationTokenScope>::new(), None)
        .await
        .expect_err("no scopes");
    page.quotes(&error);

    // The wrong access key: 401 from the emulator (and from the service).
    let wrong_key = format!("endpoint={};accesskey=d3Jvbmcga2V5", emulator.endpoint());
    let client = CommunicationIdentityClient::from_connection_string(&wrong_key).expect("a client");
    let error = client.create_user().await.expect_err("a 401");
    assert!(error.is_unauthorized());
    assert_eq!(error.service_error().and_then(|e| e.code()), Some("Denied"));
    assert_eq!(
        error.http_error().and_then(|e| e.attempts()),
        Some(1),
        "401 is not retried"
    );
    page.quotes(&error);

    // A body that does not match its x-ms-content-sha256, sent as raw HTTP.
    let endpoint = emulator.endpoint().to_owned();
    let key = emulator.access_key().clone();
    let answer = tokio::task::spawn_blocking(move || send_with_wrong_content_hash(&endpoint, &key))
        .await
        .expect("the raw request ran");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    page.quotes_text(&error_message(&answer));
    page.check();
}

/// Signs `{}` but sends `{"createTokenWithScopes":["chat"]}`.
fn send_with_wrong_content_hash(endpoint: &str, key: &AccessKey) -> String {
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let path = "/identities?api-version=2025-06-30";
    let headers = HmacSigner::new(key)
        .sign_parts(
            &RequestParts {
                method: "POST",
                host,
                path_and_query: path,
                body: b"{}",
            },
            OffsetDateTime::now_utc(),
        )
        .expect("signed");
    let body = r#"{"createTokenWithScopes":["chat"]}"#;
    let request = format!(
        "POST {path} HTTP/1.1\r\nhost: {host}\r\nx-ms-date: {}\r\nx-ms-content-sha256: {}\r\n\
         authorization: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        headers.date().to_str().expect("ASCII"),
        headers.content_sha256().to_str().expect("ASCII"),
        headers.authorization().to_str().expect("ASCII"),
        body.len(),
    );
    let mut stream = std::net::TcpStream::connect(host).expect("connected");
    stream.write_all(request.as_bytes()).expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    answer
}

/// The system clock plus an hour, truncated to whole seconds: a server whose clock is an hour
/// ahead of the client's.
#[derive(Debug)]
struct HourAhead;

impl Clock for HourAhead {
    fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        now.replace_nanosecond(0).expect("0 is a valid nanosecond") + time::Duration::HOUR
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_skew_is_documented() {
    let mut page = DocQuotes::new(PAGE);
    let emulator = Emulator::builder()
        .clock(HourAhead)
        .start()
        .await
        .expect("the emulator starts");
    let client = CommunicationIdentityClient::from_connection_string(&emulator.connection_string())
        .expect("a client");
    let error = client
        .create_user()
        .await
        .expect_err("dated an hour behind the server");
    assert_eq!(error.service_error().and_then(|e| e.code()), Some("Denied"));
    // The source chain is quoted below, with the measured difference normalised.
    page.quotes_text(&error.to_string());
    // The message names the measured difference; the page shows an hour (the request can
    // straddle a second boundary, so allow one second more).
    let message = error
        .service_error()
        .and_then(|e| e.message())
        .expect("a message")
        .to_owned();
    let normalized = message.replace("is -3601 s", "is -3600 s");
    assert!(normalized.contains("is -3600 s"), "{message}");
    let service = error.source().expect("the HTTP error").to_string();
    page.quotes_text(&service.replace("is -3601 s", "is -3600 s"));

    // The same check, as the verifier reports it, with fixed dates.
    let key: AccessKey = "pw==".parse().expect("a key");
    let signed_at = datetime!(2030-01-01 12:00 UTC);
    let headers = HmacSigner::new(&key)
        .sign_parts(
            &RequestParts {
                method: "GET",
                host: "example.com",
                path_and_query: "/",
                body: b"",
            },
            signed_at,
        )
        .expect("signed");
    let mut header_map = Default::default();
    headers.apply_to(&mut header_map);
    let error = HmacVerifier::new(&key)
        .verify_parts(
            &"GET".parse().expect("a method"),
            &"https://example.com/".parse().expect("a URI"),
            &header_map,
            b"",
            signed_at + time::Duration::HOUR,
        )
        .expect_err("an hour of skew");
    assert!(matches!(
        error,
        AuthError::DateOutsideSkew {
            difference_seconds: -3600,
            allowed_seconds: 900
        }
    ));
    page.quotes(&error);
    page.check();
}
