//! The Entra-backed CommunicationTokenCredential: the shared refresh engine drives the exchange.
//! Server on 127.0.0.1, tokio's clock paused and the wall clock following it.

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use acs_entra::ServiceErrorSource;
use acs_entra::{CommunicationTokenCredential, EntraError, communication_token_credential};
use acs_http::test_util::Reply;
use acs_refresh::CredentialError;

#[tokio::test(start_paused = true)]
async fn eleven_get_token_calls_make_one_exchange() {
    for proactive in [false, true] {
        let service = ExchangeService::start().await;
        let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
        let credential = communication_token_credential(
            options(&service, &entra).refresh_proactively(proactive),
        )
        .expect("credential");

        let first = credential.get_token().await.expect("token");
        for _ in 0..10 {
            assert_eq!(credential.get_token().await.expect("token"), first);
        }
        assert_eq!(service.server.request_count(), 1, "proactive: {proactive}");
        assert_eq!(
            entra.calls(),
            1,
            "the hot path never calls the Entra credential"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_one_exchange() {
    let service = ExchangeService::start().await;
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let credential: CommunicationTokenCredential = options(&service, &entra)
        .refresh_proactively(false)
        .try_into()
        .expect("credential");
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let credential = credential.clone();
            tokio::spawn(async move { credential.get_token().await })
        })
        .collect();
    for call in calls {
        call.await.expect("task").expect("token");
    }
    assert_eq!(service.server.request_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn proactive_credentials_pre_warm_at_construction() {
    let service = ExchangeService::start().await;
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let _credential =
        communication_token_credential(options(&service, &entra)).expect("credential");
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(
        service.server.request_count(),
        1,
        "exchanged without any get_token"
    );

    let service = ExchangeService::start().await;
    let _lazy =
        communication_token_credential(options(&service, &entra).refresh_proactively(false))
            .expect("credential");
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        service.server.request_count(),
        0,
        "no pre-warm without proactive refresh"
    );
}

#[tokio::test(start_paused = true)]
async fn a_rotated_entra_token_is_used_at_the_next_refresh() {
    let service = ExchangeService::start().await;
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let credential = communication_token_credential(options(&service, &entra)).expect("credential");
    let first = credential.get_token().await.expect("first");

    entra.rotate(ENTRA_TOKEN_2);
    // Before the refresh window nothing happens: the hot path does not look at Entra.
    tokio::time::sleep(Duration::from_secs(45 * 60)).await;
    assert_eq!(credential.get_token().await.expect("cached"), first);
    assert_eq!(service.server.request_count(), 1);

    // The proactive refresh, 10 minutes before expiry, exchanges the new Entra token.
    tokio::time::sleep(Duration::from_secs(6 * 60)).await;
    assert_eq!(service.server.request_count(), 2);
    assert_eq!(
        service.bearer_tokens(),
        [
            "Bearer entra-SECRET-token-one",
            "Bearer entra-SECRET-token-two"
        ]
    );
    let second = credential.get_token().await.expect("second");
    assert_ne!(second, first);
    assert!(second.expires_on() > first.expires_on());
}

#[tokio::test(start_paused = true)]
async fn an_expired_acs_token_gives_a_new_exchange() {
    let service = ExchangeService::start().await;
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let credential =
        communication_token_credential(options(&service, &entra).refresh_proactively(false))
            .expect("credential");
    let first = credential.get_token().await.expect("first");

    tokio::time::sleep(TOKEN_LIFETIME + Duration::from_secs(1)).await;
    let second = credential.get_token().await.expect("second");

    assert_eq!(service.server.request_count(), 2);
    assert_ne!(second, first);
    assert!(!second.is_expired_at(service.clock.now_utc()));
}

#[tokio::test(start_paused = true)]
async fn a_failing_entra_credential_surfaces_as_the_source() {
    let service = ExchangeService::start().await;
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    entra.fail_with("AADSTS7000215: invalid client secret");
    let credential =
        communication_token_credential(options(&service, &entra).refresh_proactively(false))
            .expect("credential");

    let error = credential.get_token().await.expect_err("entra failure");

    assert!(matches!(error, CredentialError::Refresher(_)), "{error:?}");
    let entra_error = error
        .source()
        .and_then(|s| s.downcast_ref::<EntraError>())
        .expect("EntraError source");
    assert!(matches!(entra_error, EntraError::EntraCredential(_)));
    let azure = entra_error
        .source()
        .and_then(|s| s.downcast_ref::<azure_core::Error>())
        .expect("azure_core::Error source");
    assert!(azure.to_string().contains("AADSTS7000215"));
    assert_eq!(service.server.request_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn exchange_errors_reach_the_caller_typed() {
    let service = ExchangeService::start().await;
    service.server.enqueue(Reply::acs_error(
        401,
        "InvalidAccessToken",
        "Provided access token is not valid.",
    ));
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let credential =
        communication_token_credential(options(&service, &entra).refresh_proactively(false))
            .expect("credential");
    let error = credential.get_token().await.expect_err("401");
    let entra_error = error
        .refresher_error()
        .and_then(|e| e.downcast_ref::<EntraError>())
        .expect("EntraError");
    let service_error = entra_error.service_error().expect("service error");
    assert_eq!(service_error.status(), http::StatusCode::UNAUTHORIZED);
    assert_eq!(service_error.code(), Some("InvalidAccessToken"));
    // One call from the credential's error, whatever wraps the exchange's error.
    assert_eq!(
        error.service_error().and_then(|e| e.code()),
        Some("InvalidAccessToken")
    );
}

#[tokio::test(start_paused = true)]
async fn a_throttled_exchange_is_not_retried_before_its_retry_after() {
    let service = ExchangeService::start().await;
    service.server.enqueue(
        Reply::acs_error(429, "TooManyRequests", "Rate limit exceeded.")
            .header("retry-after", "300"),
    );
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let credential =
        communication_token_credential(options(&service, &entra).refresh_proactively(false))
            .expect("credential");

    let error = credential.get_token().await.expect_err("429");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(300)));
    assert_eq!(
        error.service_error().map(|e| e.status()),
        Some(http::StatusCode::TOO_MANY_REQUESTS)
    );

    // Callers within the 300 s get the last error; nothing is sent.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        credential.get_token().await.expect_err("still throttled");
    }
    tokio::time::sleep(Duration::from_secs(280)).await;
    credential.get_token().await.expect_err("still throttled");
    assert_eq!(
        service.server.request_count(),
        1,
        "no exchange before Retry-After"
    );

    tokio::time::sleep(Duration::from_secs(10)).await;
    credential
        .get_token()
        .await
        .expect("a token after Retry-After");
    assert_eq!(service.server.request_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_hung_exchange_fails_within_the_default_refresher_timeout() {
    let service = ExchangeService::start().await;
    service.server.respond_with(|_| Reply::never());
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    // No HTTP client of ours: the exchange's bounds follow the refresher timeout (30 s).
    let options = acs_entra::EntraCommunicationTokenCredentialOptions::new(
        service.server.url(),
        entra.clone(),
    )
    .refresh_proactively(false)
    .wall_clock(service.clock.clone());
    assert_eq!(
        options.refresher_timeout(),
        acs_entra::DEFAULT_REFRESHER_TIMEOUT
    );
    assert_eq!(
        acs_entra::DEFAULT_REFRESHER_TIMEOUT,
        Duration::from_secs(30)
    );
    let credential = communication_token_credential(options).expect("credential");
    let started = tokio::time::Instant::now();

    let error = credential.get_token().await.expect_err("hung");

    // Attempts of 10 s each, the retries cut off at two thirds of 30 s.
    assert_eq!(started.elapsed(), Duration::from_secs(20));
    let entra_error = error.find_source::<EntraError>().expect("EntraError");
    assert!(
        matches!(
            entra_error.http_error(),
            Some(acs_http::HttpError::DeadlineExceeded { .. })
        ),
        "{entra_error:?}"
    );
    assert_eq!(service.server.request_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_refresher_timeout_is_set_on_the_options() {
    let service = ExchangeService::start().await;
    service.server.respond_with(|_| Reply::never());
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let options = acs_entra::EntraCommunicationTokenCredentialOptions::new(
        service.server.url(),
        entra.clone(),
    )
    .refresh_proactively(false)
    .with_refresher_timeout(Duration::from_secs(9))
    .wall_clock(service.clock.clone());
    assert_eq!(options.refresher_timeout(), Duration::from_secs(9));
    let credential = communication_token_credential(options).expect("credential");
    let started = tokio::time::Instant::now();
    credential.get_token().await.expect_err("hung");
    assert_eq!(started.elapsed(), Duration::from_secs(6));

    // With an HTTP client of the caller's, its total bound plus 10 s.
    let options =
        acs_entra::EntraCommunicationTokenCredentialOptions::new(service.server.url(), entra)
            .http_client(http());
    assert_eq!(options.refresher_timeout(), Duration::from_secs(130));
}

#[tokio::test(start_paused = true)]
async fn refresh_rejected_exchanges_again_rather_than_return_the_rejected_token() {
    for proactive in [false, true] {
        let service = ExchangeService::start().await;
        let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
        let credential = communication_token_credential(
            options(&service, &entra).refresh_proactively(proactive),
        )
        .expect("credential");
        let rejected = credential.get_token().await.expect("token");

        // A service answered 401 to this ACS token, which has most of its hour left; the Entra
        // token is unchanged.
        let replacement = credential
            .refresh_rejected(&rejected)
            .await
            .expect("replacement");
        assert_ne!(replacement, rejected, "proactive: {proactive}");
        assert_eq!(service.server.request_count(), 2, "proactive: {proactive}");
        assert_eq!(credential.get_token().await.expect("token"), replacement);
    }
}

#[tokio::test(start_paused = true)]
async fn the_largest_refresher_timeout_is_accepted() {
    let service = ExchangeService::start().await;
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let options =
        acs_entra::EntraCommunicationTokenCredentialOptions::new(service.server.url(), entra)
            .with_refresher_timeout(Duration::MAX)
            .wall_clock(service.clock.clone());
    // Neither building the exchange's HTTP client from it nor using it panics.
    let credential = communication_token_credential(options).expect("credential");
    credential.get_token().await.expect("token");
    assert_eq!(service.server.request_count(), 1);
}
