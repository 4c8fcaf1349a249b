//! The ready refresher inside a `CommunicationTokenCredential`, on Tokio's paused clock: the
//! emulator, the credential and the test all read one virtual wall clock, so a proactive
//! refresh happens at an exact virtual time and the test takes no real time.

use std::time::Duration;

use crate::common::{client_for, emulator_and_client};
use acs_emulator::{Clock, Emulator, Route, TokenStatus};
use acs_identity::{CommunicationTokenScope, IdentityError, ServiceErrorSource};
use acs_refresh::test_util::TokioClock;
use acs_refresh::{
    CommunicationTokenCredential, CommunicationTokenRefreshOptions, CredentialError,
};
use time::OffsetDateTime;

/// The emulator's clock, moving with Tokio's (paused) clock from a start instant.
#[derive(Debug, Clone)]
struct TokioWallClock(TokioClock);

impl Clock for TokioWallClock {
    fn now(&self) -> OffsetDateTime {
        self.0.now_utc()
    }
}

/// A virtual wall clock starting at the real current second (so HMAC dates stay within the
/// emulator's skew allowance).
fn virtual_clock() -> TokioClock {
    TokioClock::starting_at(OffsetDateTime::now_utc().replace_nanosecond(0).unwrap())
}

/// An emulator on `clock`, a client for it and a user it created.
async fn user_on_virtual_clock(
    clock: &TokioClock,
) -> (
    acs_emulator::RunningEmulator,
    acs_identity::CommunicationIdentityClient,
    acs_identity::CommunicationUserIdentifier,
) {
    let emulator = Emulator::builder()
        .clock(TokioWallClock(clock.clone()))
        .start()
        .await
        .unwrap();
    let client = client_for(&emulator);
    let user = client.create_user().await.unwrap();
    (emulator, client, user)
}

#[tokio::test(start_paused = true)]
async fn the_refresher_keeps_a_credential_fresh_proactively() {
    let clock = virtual_clock();
    let emulator = Emulator::builder()
        .clock(TokioWallClock(clock.clone()))
        // Test mode: every token lives 2 minutes, so the proactive refresh comes at half-life.
        .token_lifetime(Duration::from_secs(120))
        .start()
        .await
        .unwrap();
    let client = client_for(&emulator);
    let user = client.create_user().await.unwrap();

    let credential = CommunicationTokenCredential::with_refresh(
        CommunicationTokenRefreshOptions::new(
            client.refresher(user.clone(), [CommunicationTokenScope::Chat]),
        )
        .refresh_proactively(true)
        .wall_clock(clock.clone()),
    );

    let first = credential.get_token().await.unwrap();
    assert_eq!(emulator.tokens_issued(user.id()), 1);
    assert_eq!(
        first.expires_on(),
        clock.now_utc() + Duration::from_secs(120)
    );
    assert_eq!(
        acs_token::TokenClaims::decode(first.token())
            .unwrap()
            .acs_scopes,
        ["chat"]
    );

    // Nobody asks for a token; the background refresh happens on its own before expiry.
    tokio::time::sleep(Duration::from_secs(90)).await;
    assert_eq!(emulator.tokens_issued(user.id()), 2);

    let second = credential.get_token().await.unwrap();
    assert_ne!(second.token(), first.token());
    assert!(second.expires_on() > first.expires_on());
    assert_eq!(emulator.token_status(second.token()), TokenStatus::Valid);
    // Served from the cache: no further request.
    assert_eq!(emulator.request_count(Route::IssueAccessToken), 2);

    // And it keeps going: across 10 virtual minutes the credential never serves an expired token.
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_secs(30)).await;
        let token = credential.get_token().await.unwrap();
        assert!(token.expires_on() > clock.now_utc());
        assert_eq!(emulator.token_status(token.token()), TokenStatus::Valid);
    }
    credential.close();
}

#[tokio::test(start_paused = true)]
async fn the_refresher_asks_for_the_lifetime_it_was_given() {
    let clock = virtual_clock();
    let (_emulator, client, user) = user_on_virtual_clock(&clock).await;
    let refresher = client
        .refresher(user.clone(), vec![CommunicationTokenScope::VoIp])
        .expires_in(Duration::from_secs(60 * 60))
        .unwrap();
    assert_eq!(refresher.scopes(), [CommunicationTokenScope::VoIp]);
    assert_eq!(refresher.user(), &user);

    let credential = CommunicationTokenCredential::with_refresh(
        CommunicationTokenRefreshOptions::new(refresher).wall_clock(clock.clone()),
    );
    let token = credential.get_token().await.unwrap();
    assert_eq!(
        token.expires_on(),
        clock.now_utc() + Duration::from_secs(3600)
    );
}

#[tokio::test]
async fn an_invalid_refresher_lifetime_is_refused_up_front() {
    let (_emulator, client) = emulator_and_client().await;
    let user = client.create_user().await.unwrap();
    let error = client
        .refresher(user, [CommunicationTokenScope::Chat])
        .expires_in(Duration::from_secs(30 * 60 + 1))
        .unwrap_err();
    assert!(matches!(error, IdentityError::InvalidExpiresIn { .. }));
}

#[tokio::test(start_paused = true)]
async fn a_deleted_user_surfaces_as_a_refresher_error_with_the_identity_error_inside() {
    let clock = virtual_clock();
    let (_emulator, client, user) = user_on_virtual_clock(&clock).await;
    client.delete_user(&user).await.unwrap();

    let credential = CommunicationTokenCredential::with_refresh(
        CommunicationTokenRefreshOptions::new(
            client.refresher(user, [CommunicationTokenScope::Chat]),
        )
        .wall_clock(clock),
    );
    let error = credential.get_token().await.unwrap_err();

    assert!(matches!(error, CredentialError::Refresher(_)), "{error:?}");
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    let mut identity = None;
    while let Some(current) = source {
        if let Some(found) = current.downcast_ref::<IdentityError>() {
            identity = Some(found);
            break;
        }
        source = current.source();
    }
    let identity = identity.expect("the identity error is in the source chain");
    assert!(identity.is_not_found());
    assert_eq!(
        identity.service_error().and_then(|e| e.code()),
        Some("IdentityNotFound")
    );
}

#[tokio::test(start_paused = true)]
async fn a_refresher_without_scopes_fails_each_refresh_clearly_without_sending() {
    let clock = virtual_clock();
    let (emulator, client, user) = user_on_virtual_clock(&clock).await;
    let requests_before = emulator.requests().len();

    let refresher = client.refresher(user, Vec::<CommunicationTokenScope>::new());
    assert!(refresher.scopes().is_empty());
    let credential = CommunicationTokenCredential::with_refresh(
        CommunicationTokenRefreshOptions::new(refresher).wall_clock(clock),
    );
    let error = credential.get_token().await.unwrap_err();

    assert!(matches!(error, CredentialError::Refresher(_)), "{error:?}");
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    let mut identity = None;
    while let Some(current) = source {
        if let Some(found) = current.downcast_ref::<IdentityError>() {
            identity = Some(found);
            break;
        }
        source = current.source();
    }
    let identity = identity.expect("the identity error is in the source chain");
    assert!(
        matches!(identity, IdentityError::RefresherWithoutScopes),
        "{identity:?}"
    );
    assert!(identity.is_client_side());
    assert!(
        identity
            .to_string()
            .contains("CommunicationIdentityClient::refresher"),
        "{identity}"
    );
    assert_eq!(
        emulator.requests().len(),
        requests_before,
        "nothing is sent"
    );
}

#[tokio::test(start_paused = true)]
async fn a_throttled_refresh_waits_for_the_services_retry_after() {
    let clock = virtual_clock();
    let (emulator, client, user) = user_on_virtual_clock(&clock).await;
    emulator.inject(
        acs_emulator::Fault::status(429)
            .retry_after(Duration::from_secs(300))
            .on(Route::IssueAccessToken),
    );
    let credential = CommunicationTokenCredential::with_refresh(
        CommunicationTokenRefreshOptions::new(
            client.refresher(user.clone(), [CommunicationTokenScope::Chat]),
        )
        .refresh_proactively(false)
        .wall_clock(clock.clone()),
    );

    let error = credential.get_token().await.unwrap_err();
    assert_eq!(error.retry_after(), Some(Duration::from_secs(300)));
    assert_eq!(emulator.request_count(Route::IssueAccessToken), 1);

    // Callers within the 300 s get the last error; nothing is sent.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        credential.get_token().await.unwrap_err();
    }
    tokio::time::sleep(Duration::from_secs(280)).await;
    credential.get_token().await.unwrap_err();
    assert_eq!(emulator.request_count(Route::IssueAccessToken), 1);

    tokio::time::sleep(Duration::from_secs(10)).await;
    credential
        .get_token()
        .await
        .expect("a token after Retry-After");
    assert_eq!(emulator.request_count(Route::IssueAccessToken), 2);
}
