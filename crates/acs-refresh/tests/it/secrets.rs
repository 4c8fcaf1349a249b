//! Secrets never reach logs, `Debug` output or error text; failures are logged in full.
//!
//! Each test that reads the log runs in a process of its own ([`in_own_process`]): `tracing`
//! caches per call site, process-wide, whether anyone listens, and a test running in parallel
//! on a thread without a subscriber can make that "never" before this test's thread-local
//! subscriber is installed, dropping the events it checks.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use acs_refresh::test_util::LogCapture;

use crate::common::{Calls, MINUTE, ServiceDown, clock, in_own_process, jwt};
use acs_refresh::{CommunicationTokenCredential, CommunicationTokenRefreshOptions, RefreshedToken};
use acs_token::test_util::TokenBuilder;
use tokio::time::sleep;

#[tokio::test(start_paused = true)]
async fn token_text_never_reaches_logs_debug_or_errors() {
    if !in_own_process("secrets::token_text_never_reaches_logs_debug_or_errors") {
        return;
    }
    let (captured, _default) = LogCapture::install();

    let clock = clock();
    let issued = Arc::new(Mutex::new(Vec::<String>::new()));
    let calls = Calls::new();
    let (refresher_clock, refresher_issued, refresher_calls) =
        (clock.clone(), issued.clone(), calls.clone());
    let initial = jwt(&clock, 11 * MINUTE);
    let options = CommunicationTokenRefreshOptions::new(move || {
        let call = refresher_calls.record();
        let token = jwt(
            &refresher_clock,
            20 * MINUTE + Duration::from_secs(call as u64),
        );
        refresher_issued.lock().unwrap().push(token.clone());
        async move {
            if call % 2 == 0 {
                Err(ServiceDown(call))
            } else {
                Ok(token)
            }
        }
    })
    .refresh_proactively(true)
    .initial_token(initial.parse().unwrap())
    .wall_clock(clock);
    let credential = CommunicationTokenCredential::with_refresh(options.clone());
    let mut texts = vec![format!("{credential:?}"), format!("{options:?}")];
    for _ in 0..6 {
        sleep(5 * MINUTE).await;
        texts.push(format!("{:?}", credential.get_token().await));
    }
    let bad = CommunicationTokenCredential::with_refresh(CommunicationTokenRefreshOptions::new(
        || async { Ok::<_, ServiceDown>(TokenBuilder::new().exp(100).build()) },
    ));
    let error = bad.get_token().await.unwrap_err();
    texts.push(format!("{error} {error:?}"));
    let refreshed: RefreshedToken = initial.as_str().into();
    texts.push(format!("{refreshed:?}"));

    let log = captured.text();
    assert!(log.contains("token refresh failed"), "{log}");
    assert!(
        log.contains("trigger=\"proactive\"") || log.contains("trigger=proactive"),
        "{log}"
    );
    assert!(
        log.contains("outcome=\"refreshed\"") || log.contains("outcome=refreshed"),
        "{log}"
    );
    assert!(log.contains("duration_ms"), "{log}");
    let mut secrets = issued.lock().unwrap().clone();
    secrets.push(initial.clone());
    assert!(calls.count() >= 3);
    for secret in &secrets {
        // The signature part is shared by all minted tokens; the payload is unique.
        let payload = secret.split('.').nth(1).unwrap();
        assert!(!log.contains(payload), "token in logs");
        for text in &texts {
            assert!(!text.contains(payload), "token in {text}");
        }
    }
}

/// What a token exchange's error may look like: a message, and below it the service's answer.
#[derive(Debug, thiserror::Error)]
#[error("the token exchange failed")]
struct ExchangeFailed(#[source] ServiceAnswer);

#[derive(Debug, thiserror::Error)]
#[error(
    "HTTP 401 (code InvalidAuthenticationToken): AADSTS50013 Assertion failed signature validation"
)]
struct ServiceAnswer;

#[tokio::test(start_paused = true)]
async fn a_failed_refresh_is_logged_with_its_whole_cause_chain_and_no_token() {
    if !in_own_process(
        "secrets::a_failed_refresh_is_logged_with_its_whole_cause_chain_and_no_token",
    ) {
        return;
    }
    let (captured, _default) = LogCapture::install();
    let clock = clock();
    let initial = jwt(&clock, 11 * MINUTE);
    let options = CommunicationTokenRefreshOptions::new(|| async {
        Err::<String, _>(ExchangeFailed(ServiceAnswer))
    })
    .initial_token(initial.parse().unwrap())
    .wall_clock(clock);
    let credential = CommunicationTokenCredential::with_refresh(options);
    sleep(10 * MINUTE).await;
    // In the on-demand window: the token is served and a refresh starts (and fails).
    credential.get_token().await.unwrap();
    sleep(MINUTE).await;
    let error = credential.get_token().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "the token refresher failed: the token exchange failed"
    );
    let log = captured.text();
    assert!(
        log.contains(
            "the token refresher failed: the token exchange failed: HTTP 401 (code \
             InvalidAuthenticationToken): AADSTS50013 Assertion failed signature validation"
        ),
        "{log}"
    );
    let payload = initial.split('.').nth(1).unwrap();
    assert!(!log.contains(payload), "token in logs");
}
