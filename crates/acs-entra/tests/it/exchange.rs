//! The exchange itself, on `EntraTokenExchange` directly: routes, scopes, caching, retries,
//! typed errors. Server on 127.0.0.1, tokio's clock paused.

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use acs_entra::{
    DEFAULT_SCOPE, EntraCommunicationTokenCredentialOptions, EntraError, EntraTokenExchange,
    ExchangeRoute, ServiceErrorSource,
};
use acs_http::test_util::Reply;
use acs_http::{HttpError, ServiceError};
use time::macros::datetime;

const EMPTY_TEXT: &str = "Scopes must not be null or empty. Ensure all scopes start with either https://auth.msft.communication.azure.com/ or https://communication.azure.com/clients/.";
const INVALID_TEXT: &str = "Scopes validation failed. Ensure all scopes start with either https://auth.msft.communication.azure.com/ or https://communication.azure.com/clients/.";

#[tokio::test(start_paused = true)]
async fn default_scopes_use_the_communication_clients_route() {
    let service = ExchangeService::start().await;
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let options = options(&service, &entra);
    assert_eq!(options.scopes(), [DEFAULT_SCOPE]);
    assert_eq!(options.route(), ExchangeRoute::CommunicationClients);
    let exchange = EntraTokenExchange::new(&options).expect("exchange");

    let token = exchange.exchange().await.expect("token");

    let requests = service.server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, http::Method::POST);
    assert_eq!(request.path, "/access/entra/:exchangeAccessToken");
    assert_eq!(
        request.query.as_deref(),
        Some("api-version=2025-03-02-preview")
    );
    assert_eq!(
        request.header("authorization"),
        Some("Bearer entra-SECRET-token-one")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(request.json(), serde_json::json!({}));
    assert_eq!(entra.scopes_seen(), vec![vec![DEFAULT_SCOPE.to_owned()]]);
    assert_eq!(token.expires_on(), service.clock.now_utc() + TOKEN_LIFETIME);
    let expires = service.clock.now_utc() + TOKEN_LIFETIME;
    assert_eq!(token.token(), acs_token_text(1, expires));
}

#[tokio::test(start_paused = true)]
async fn teams_extension_scopes_use_the_teams_route() {
    for scope in [
        "https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls",
        "https://auth.msft.communication.azure.us/TeamsExtension.ManageCalls",
    ] {
        let service = ExchangeService::start().await;
        let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
        let options = options(&service, &entra)
            .with_scopes([
                scope,
                "https://auth.msft.communication.azure.com/TeamsExtension.ManageChats",
            ])
            .expect("teams scopes");
        assert_eq!(options.route(), ExchangeRoute::TeamsExtension);
        EntraTokenExchange::new(&options)
            .expect("exchange")
            .exchange()
            .await
            .expect("token");
        let request = &service.server.requests()[0];
        assert_eq!(request.path, "/access/teamsExtension/:exchangeAccessToken");
        assert_eq!(request.query.as_deref(), Some("api-version=2025-06-30"));
        assert_eq!(
            request.header("authorization"),
            Some("Bearer entra-SECRET-token-one")
        );
        assert_eq!(request.json(), serde_json::json!({}));
        assert_eq!(entra.scopes_seen()[0].len(), 2);
        assert_eq!(entra.scopes_seen()[0][0], scope);
    }
}

#[test]
fn scopes_are_validated_with_the_official_texts() {
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let base = || {
        EntraCommunicationTokenCredentialOptions::new(
            "https://contoso.communication.azure.com",
            entra.clone(),
        )
    };

    let empty = base().with_scopes(Vec::<String>::new()).expect_err("empty");
    assert!(matches!(empty, EntraError::EmptyScopes));
    assert_eq!(empty.to_string(), EMPTY_TEXT);

    let mixed = base()
        .with_scopes([
            "https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls",
            "https://communication.azure.com/clients/VoIP",
        ])
        .expect_err("mixed");
    assert!(matches!(mixed, EntraError::InvalidScopes));
    assert_eq!(mixed.to_string(), INVALID_TEXT);

    for unknown in [
        vec!["https://graph.microsoft.com/.default"],
        vec![""],
        vec!["https://communication.azure.com//.default"],
        vec!["https://communication.azure.com/clients/VoIP", "chat"],
    ] {
        let error = base().with_scopes(&unknown).expect_err("unknown");
        assert_eq!(error.to_string(), INVALID_TEXT, "{unknown:?}");
    }

    let mut scopes = vec!["https://communication.azure.com/clients/VoIP".to_owned()];
    let options = base().with_scopes(&scopes).expect("valid");
    scopes.push("https://graph.microsoft.com/.default".to_owned());
    scopes[0].push_str("-changed");
    assert_eq!(
        options.scopes(),
        ["https://communication.azure.com/clients/VoIP"]
    );
    assert_eq!(options.route(), ExchangeRoute::CommunicationClients);
}

#[tokio::test(start_paused = true)]
async fn unchanged_entra_token_reuses_the_cached_acs_token() {
    let service = ExchangeService::start().await;
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let exchange = EntraTokenExchange::new(&options(&service, &entra)).expect("exchange");

    let first = exchange.exchange().await.expect("first");
    for _ in 0..10 {
        assert_eq!(exchange.exchange().await.expect("cached"), first);
    }
    assert_eq!(service.server.request_count(), 1);
    assert_eq!(entra.calls(), 11, "the Entra credential is asked each time");

    entra.rotate(ENTRA_TOKEN_2);
    let second = exchange.exchange().await.expect("after rotation");
    assert_ne!(second, first);
    assert_eq!(service.server.request_count(), 2);
    assert_eq!(service.bearer_tokens()[1], "Bearer entra-SECRET-token-two");
    assert_eq!(exchange.exchange().await.expect("cached again"), second);
    assert_eq!(service.server.request_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_cached_token_within_the_exchange_window_is_exchanged_again() {
    let service = ExchangeService::start().await;
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let exchange = EntraTokenExchange::new(&options(&service, &entra)).expect("exchange");
    exchange.exchange().await.expect("first");

    // 49 minutes on, 11 minutes left: still cached.
    tokio::time::sleep(Duration::from_secs(49 * 60)).await;
    exchange.exchange().await.expect("cached");
    assert_eq!(service.server.request_count(), 1);

    // 51 minutes on, 9 minutes left: due.
    tokio::time::sleep(Duration::from_secs(2 * 60)).await;
    exchange.exchange().await.expect("due");
    assert_eq!(service.server.request_count(), 2);

    // Long after expiry: exchanged again.
    tokio::time::sleep(Duration::from_secs(3 * 3600)).await;
    let fresh = exchange.exchange().await.expect("expired");
    assert_eq!(service.server.request_count(), 3);
    assert!(fresh.expires_on() > service.clock.now_utc());
}

#[tokio::test(start_paused = true)]
async fn expires_on_offsets_are_kept() {
    let service = ExchangeService::start().await;
    service.server.enqueue(Reply::json(
        200,
        serde_json::json!({"accessToken": {"token": "opaque", "expiresOn": "2034-10-04T10:21:29.4729393-07:00"}}),
    ));
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let token = EntraTokenExchange::new(&options(&service, &entra))
        .expect("exchange")
        .exchange()
        .await
        .expect("token");
    assert_eq!(token.token(), "opaque");
    assert_eq!(
        token.expires_on(),
        datetime!(2034-10-04 17:21:29.4729393 UTC)
    );
}

#[tokio::test(start_paused = true)]
async fn transient_failures_are_retried_honouring_retry_after() {
    let service = ExchangeService::start().await;
    service
        .server
        .enqueue(Reply::status(503).header("retry-after", "2"));
    service
        .server
        .enqueue(Reply::acs_error(429, "TooManyRequests", "slow down").header("retry-after", "5"));
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let exchange = EntraTokenExchange::new(&options(&service, &entra)).expect("exchange");

    exchange.exchange().await.expect("success after retries");

    let requests = service.server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(
        requests[1].received_at - requests[0].received_at,
        Duration::from_secs(2)
    );
    assert_eq!(
        requests[2].received_at - requests[1].received_at,
        Duration::from_secs(5)
    );
    assert!(
        service
            .bearer_tokens()
            .iter()
            .all(|b| b == "Bearer entra-SECRET-token-one")
    );
    assert_eq!(entra.calls(), 1, "one Entra token for all attempts");
}

#[tokio::test(start_paused = true)]
async fn four_503s_fail_after_exactly_four_attempts() {
    let service = ExchangeService::start().await;
    for _ in 0..4 {
        service.server.enqueue(
            Reply::acs_error(503, "ServiceUnavailable", "Service unavailable.")
                .header("retry-after", "0")
                .header("x-ms-request-id", "rid-503"),
        );
    }
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let error = EntraTokenExchange::new(&options(&service, &entra))
        .expect("exchange")
        .exchange()
        .await
        .expect_err("fails");
    assert_eq!(service.server.request_count(), 4);
    let service_error = error.service_error().expect("service error");
    assert_eq!(service_error.attempts(), 4);
    assert_eq!(
        service_error.status(),
        http::StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(service_error.code(), Some("ServiceUnavailable"));
    assert_eq!(service_error.request_id(), Some("rid-503"));
}

#[tokio::test(start_paused = true)]
async fn client_errors_give_typed_errors_without_retry() {
    for (status, code, message) in [
        (400, "BadRequest", "Invalid request."),
        (
            401,
            "InvalidAccessToken",
            "Provided access token is not valid.",
        ),
    ] {
        let service = ExchangeService::start().await;
        service.server.enqueue(
            Reply::acs_error(status, code, message)
                .header("x-ms-request-id", "rid-1")
                .header("x-ms-client-request-id", "cid-1"),
        );
        let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
        let error = EntraTokenExchange::new(&options(&service, &entra))
            .expect("exchange")
            .exchange()
            .await
            .expect_err("client error");
        assert_eq!(service.server.request_count(), 1);
        let service_error = error.service_error().expect("service error");
        assert_eq!(service_error.status().as_u16(), status);
        assert_eq!(service_error.code(), Some(code));
        assert_eq!(service_error.message(), Some(message));
        assert_eq!(service_error.request_id(), Some("rid-1"));
        assert_eq!(service_error.client_request_id(), Some("cid-1"));
        assert_eq!(service_error.attempts(), 1);
        // The identity client's form: status and code on the outer line, the message and
        // request ids in the source.
        assert_eq!(
            error.to_string(),
            format!("the Entra token exchange failed: HTTP {status} {code}")
        );
        let source = error
            .source()
            .expect("source")
            .downcast_ref::<HttpError>()
            .expect("HttpError");
        assert_eq!(source.service_error().map(ServiceError::attempts), Some(1));
        let source_text = source.to_string();
        assert!(
            source_text.contains(message)
                && source_text.contains("rid-1")
                && source_text.contains("cid-1"),
            "{source_text}"
        );
        assert_eq!(
            error.service_error().map(|e| e.message()),
            Some(Some(message))
        );
    }
}

#[tokio::test(start_paused = true)]
async fn malformed_responses_are_typed_errors() {
    let bodies = [
        Reply::status(200).body("{not json"),
        Reply::json(200, serde_json::json!({"identity": {"id": "8:acs:x"}})),
        Reply::json(
            200,
            serde_json::json!({"accessToken": {"expiresOn": "2034-10-04T10:21:29.4729393+00:00"}}),
        ),
        Reply::json(
            200,
            serde_json::json!({"accessToken": {"token": "ACS-SECRET-x"}}),
        ),
        Reply::json(
            200,
            serde_json::json!({"accessToken": {"token": "ACS-SECRET-x", "expiresOn": "next tuesday"}}),
        ),
        Reply::json(
            200,
            serde_json::json!({"accessToken": {"token": "", "expiresOn": "2034-10-04T10:21:29Z"}}),
        ),
        Reply::json(
            200,
            serde_json::json!({"accessToken": "ACS-SECRET-as-a-string"}),
        ),
        Reply::json(
            200,
            serde_json::json!({"accessToken": {"token": 42, "expiresOn": "2034-10-04T10:21:29Z"}}),
        ),
    ];
    for reply in bodies {
        let service = ExchangeService::start().await;
        service.server.enqueue(
            reply
                .header("x-ms-request-id", "rid-bad")
                .header("x-ms-client-request-id", "cid-bad"),
        );
        let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
        let error = EntraTokenExchange::new(&options(&service, &entra))
            .expect("exchange")
            .exchange()
            .await
            .expect_err("malformed");
        assert!(
            matches!(&error, EntraError::Exchange(HttpError::Decode { .. })),
            "{error:?}"
        );
        let http_error = error.http_error().expect("an HttpError");
        assert_eq!(http_error.status(), Some(http::StatusCode::OK));
        assert_eq!(http_error.request_id(), Some("rid-bad"));
        assert_eq!(http_error.client_request_id(), Some("cid-bad"));
        assert!(error.service_error().is_none());
        let rendered = render(&error);
        assert!(!rendered.contains("ACS-SECRET"), "{rendered}");
        assert_eq!(
            service.server.request_count(),
            1,
            "a bad body is not retried"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_times_out() {
    let service = ExchangeService::start().await;
    service.server.respond_with(|_| Reply::never());
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let start = tokio::time::Instant::now();
    let error = EntraTokenExchange::new(&options(&service, &entra))
        .expect("exchange")
        .exchange()
        .await
        .expect_err("timeout");
    assert!(
        matches!(
            &error,
            EntraError::Exchange(HttpError::Timeout { attempts: 4, .. })
        ),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "the Entra token exchange failed");
    assert!(
        error
            .source()
            .expect("source")
            .to_string()
            .contains("timed out"),
        "{error:?}"
    );
    // 4 attempts of 5 s and 0.8 + 1.6 + 3.2 s between them, on the paused clock.
    assert_eq!(start.elapsed(), Duration::from_millis(25_600));
}

#[tokio::test(start_paused = true)]
async fn a_failing_entra_credential_is_the_source() {
    let service = ExchangeService::start().await;
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    entra.fail_with("AADSTS700016: application not found in the directory");
    let error = EntraTokenExchange::new(&options(&service, &entra))
        .expect("exchange")
        .exchange()
        .await
        .expect_err("entra failure");
    assert!(matches!(error, EntraError::EntraCredential(_)));
    let source = error
        .source()
        .expect("source")
        .downcast_ref::<azure_core::Error>()
        .expect("azure_core::Error");
    assert!(source.to_string().contains("AADSTS700016"), "{source}");
    assert_eq!(service.server.request_count(), 0);
}

#[test]
fn endpoints_must_be_https_except_loopback() {
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    for bad in [
        "http://contoso.communication.azure.com",
        "contoso.communication.azure.com",
        "",
        "https://u:p@contoso.com",
    ] {
        let options = EntraCommunicationTokenCredentialOptions::new(bad, entra.clone());
        let error = EntraTokenExchange::new(&options).expect_err(bad);
        assert!(matches!(error, EntraError::Endpoint(_)), "{bad}: {error:?}");
        assert!(acs_entra::communication_token_credential(options).is_err());
    }
    for ok in [
        "https://contoso.communication.azure.com/",
        "http://127.0.0.1:1234",
        "http://localhost",
        "http://[::1]:8080",
    ] {
        let options = EntraCommunicationTokenCredentialOptions::new(ok, entra.clone());
        assert!(EntraTokenExchange::new(&options).is_ok(), "{ok}");
    }
    let exchange = EntraTokenExchange::new(&EntraCommunicationTokenCredentialOptions::new(
        "https://contoso.communication.azure.com/base/",
        entra.clone(),
    ))
    .expect("exchange");
    assert_eq!(
        exchange.url().as_str(),
        "https://contoso.communication.azure.com/base/access/entra/:exchangeAccessToken?api-version=2025-03-02-preview"
    );
}

/// A wall clock far beyond the years `time` can represent.
#[derive(Debug, Clone)]
struct YearTwentyThousand;

impl acs_refresh::test_util::WallClock for YearTwentyThousand {
    fn now(&self) -> std::time::SystemTime {
        std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(569_000_000_000)
    }
}

#[tokio::test(start_paused = true)]
async fn a_clock_beyond_year_9999_exchanges_instead_of_panicking() {
    let service = ExchangeService::start().await;
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let exchange =
        EntraTokenExchange::new(&options(&service, &entra).wall_clock(YearTwentyThousand))
            .expect("exchange");

    exchange.exchange().await.expect("first token");
    exchange.exchange().await.expect("second token");

    // The cache cannot be checked against such a clock, so each call exchanges.
    assert_eq!(service.server.request_count(), 2);
}

fn render(error: &dyn std::error::Error) -> String {
    let mut text = format!("{error} {error:?}");
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(&format!(" | {s} {s:?}"));
        source = s.source();
    }
    text
}

#[tokio::test(start_paused = true)]
async fn an_entra_token_refused_with_401_is_not_sent_again() {
    let service = ExchangeService::start().await;
    service.server.enqueue(Reply::acs_error(
        401,
        "InvalidAccessToken",
        "Provided access token is not valid.",
    ));
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let exchange = EntraTokenExchange::new(&options(&service, &entra)).expect("exchange");

    let first = exchange.exchange().await.expect_err("401");
    assert!(matches!(first, EntraError::Exchange(_)), "{first:?}");

    // The Entra credential still caches the refused token: it is not sent again.
    let second = exchange.exchange().await.expect_err("same Entra token");
    assert!(
        matches!(second, EntraError::RejectedEntraToken(_)),
        "{second:?}"
    );
    assert_eq!(
        second.service_error().and_then(ServiceError::code),
        Some("InvalidAccessToken"),
        "the service's answer stays reachable"
    );
    assert!(!render(&second).contains("SECRET"), "{}", render(&second));
    assert_eq!(service.server.request_count(), 1);

    // A new Entra token is exchanged.
    entra.rotate(ENTRA_TOKEN_2);
    exchange
        .exchange()
        .await
        .expect("a new Entra token is exchanged");
    assert_eq!(
        service.bearer_tokens(),
        [
            format!("Bearer {ENTRA_TOKEN_1}"),
            format!("Bearer {ENTRA_TOKEN_2}")
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn each_exchange_has_one_client_request_id_on_its_retries_and_in_its_trace_span() {
    acs_refresh::test_util::interest_in_every_callsite();
    let (logs, _guard) = acs_refresh::test_util::LogCapture::install();
    let service = ExchangeService::start().await;
    service
        .server
        .enqueue(Reply::status(503).header("retry-after", "0"));
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let exchange = EntraTokenExchange::new(&options(&service, &entra)).expect("exchange");
    exchange.exchange().await.expect("token after one retry");

    let ids: Vec<String> = service
        .server
        .requests()
        .iter()
        .map(|r| {
            r.header("x-ms-client-request-id")
                .expect("sent with an id")
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "a retry keeps the operation's id");
    let text = logs.text();
    assert!(
        text.contains(&format!("acs_request{{client_request_id={}}}", ids[0])),
        "{text}"
    );
}
