//! Refreshing a token a service rejected (`refresh_rejected`), the service's retry delay
//! (`TokenRefresher::retry_after`, `retry_after_hint`), and `CredentialError::find_source`.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{Calls, MINUTE, ServiceDown, clock, jwt};
use acs_refresh::{
    AccessToken, BoxError, CommunicationTokenCredential, CommunicationTokenRefreshOptions,
    CredentialError, RefreshedToken, TokenRefresher,
};
use acs_token::test_util::TokenBuilder;
use tokio::sync::Semaphore;
use tokio::time::sleep;

/// A refresher that records each call and, once `gate` gives it a permit, returns a token
/// unique to the call (60 minutes plus the call's number in seconds).
fn gated_unique(
    gate: &Arc<Semaphore>,
    calls: &Calls,
    clock: &acs_refresh::test_util::TokioClock,
) -> CommunicationTokenRefreshOptions {
    let (gate, calls, refresher_clock) = (gate.clone(), calls.clone(), clock.clone());
    CommunicationTokenRefreshOptions::new(move || {
        let call = calls.record();
        let token = jwt(
            &refresher_clock,
            60 * MINUTE + Duration::from_secs(call as u64),
        );
        let gate = gate.clone();
        async move {
            gate.acquire().await.unwrap().forget();
            Ok::<_, ServiceDown>(token)
        }
    })
    .wall_clock(clock.clone())
}

#[tokio::test(start_paused = true)]
async fn a_hundred_callers_with_the_same_rejected_token_share_one_refresher_call() {
    let clock = clock();
    let (gate, calls) = (Arc::new(Semaphore::new(1)), Calls::new());
    let credential =
        CommunicationTokenCredential::with_refresh(gated_unique(&gate, &calls, &clock));
    let rejected = credential.get_token().await.unwrap();
    assert_eq!(calls.count(), 1);

    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (credential, rejected) = (credential.clone(), rejected.clone());
            tokio::spawn(async move { credential.refresh_rejected(&rejected).await })
        })
        .collect();
    while calls.count() < 2 {
        tokio::task::yield_now().await;
    }
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    gate.add_permits(1);
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap().unwrap());
    }
    assert_eq!(calls.count(), 2, "one refresher call for 100 callers");
    assert!(tokens.iter().all(|token| *token == tokens[0]));
    assert_ne!(tokens[0].token(), rejected.token());
    // The new token is now the cached one.
    assert_eq!(credential.get_token().await.unwrap(), tokens[0]);
}

#[tokio::test(start_paused = true)]
async fn a_caller_whose_rejected_token_was_already_replaced_gets_the_current_one_without_a_call() {
    let clock = clock();
    let (gate, calls) = (Arc::new(Semaphore::new(2)), Calls::new());
    let credential =
        CommunicationTokenCredential::with_refresh(gated_unique(&gate, &calls, &clock));
    let first = credential.get_token().await.unwrap();
    let second = credential.refresh_rejected(&first).await.unwrap();
    assert_ne!(first.token(), second.token());
    assert_eq!(calls.count(), 2);

    // A late caller still holding `first`: no refresher call.
    assert_eq!(credential.refresh_rejected(&first).await.unwrap(), second);
    assert_eq!(calls.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn refresh_rejected_joins_a_refresh_already_in_flight() {
    let clock = clock();
    let (gate, calls) = (Arc::new(Semaphore::new(1)), Calls::new());
    let credential =
        CommunicationTokenCredential::with_refresh(gated_unique(&gate, &calls, &clock));
    let first = credential.get_token().await.unwrap();
    // The token has expired: a `get_token` starts a refresh and waits.
    sleep(62 * MINUTE).await;
    let waiting = {
        let credential = credential.clone();
        tokio::spawn(async move { credential.get_token().await })
    };
    while calls.count() < 2 {
        tokio::task::yield_now().await;
    }
    let rejecting = {
        let credential = credential.clone();
        tokio::spawn(async move { credential.refresh_rejected(&first).await })
    };
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    gate.add_permits(1);
    let (waited, replaced) = (
        waiting.await.unwrap().unwrap(),
        rejecting.await.unwrap().unwrap(),
    );
    assert_eq!(waited, replaced);
    assert_eq!(calls.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn refresh_rejected_respects_the_retry_delay_after_a_failure() {
    let clock = clock();
    let calls = Calls::new();
    let refresher_calls = calls.clone();
    let refresher_clock = clock.clone();
    let options = CommunicationTokenRefreshOptions::new(move || {
        let call = refresher_calls.record();
        let token = jwt(&refresher_clock, 60 * MINUTE);
        async move {
            if call == 1 {
                Ok(token)
            } else {
                Err(ServiceDown(call))
            }
        }
    })
    .wall_clock(clock);
    let credential = CommunicationTokenCredential::with_refresh(options);
    let rejected = credential.get_token().await.unwrap();
    let error = credential.refresh_rejected(&rejected).await.unwrap_err();
    assert_eq!(error.find_source::<ServiceDown>(), Some(&ServiceDown(2)));
    // Within the backoff: the same error, no new call; the rejected token is not served.
    let again = credential.refresh_rejected(&rejected).await.unwrap_err();
    assert_eq!(again.find_source::<ServiceDown>(), Some(&ServiceDown(2)));
    assert_eq!(calls.count(), 2);
    // `get_token` still serves the unexpired token (it was not rejected to it).
    assert_eq!(credential.get_token().await.unwrap(), rejected);
}

#[tokio::test]
async fn a_fixed_token_cannot_be_refreshed() {
    let token: AccessToken = TokenBuilder::new().build().parse().unwrap();
    let credential = CommunicationTokenCredential::from_access_token(token.clone());
    assert!(matches!(
        credential.refresh_rejected(&token).await,
        Err(CredentialError::CannotRefresh)
    ));
    assert_eq!(credential.get_token().await.unwrap(), token);
}

/// A throttled answer: the service asks to wait `retry_after`.
#[derive(Debug, thiserror::Error)]
#[error("throttled (429)")]
struct Throttled {
    retry_after: Duration,
}

/// A refresher that fails with a 300-second `Throttled` until `calls` reaches `healthy_from`.
#[derive(Debug)]
struct ThrottledService {
    calls: Calls,
    clock: acs_refresh::test_util::TokioClock,
}

#[async_trait::async_trait]
impl TokenRefresher for ThrottledService {
    async fn refresh(&self) -> Result<RefreshedToken, BoxError> {
        let call = self.calls.record();
        if call == 1 {
            Err(Box::new(Throttled {
                retry_after: Duration::from_secs(300),
            }))
        } else {
            Ok(jwt(&self.clock, 60 * MINUTE).into())
        }
    }

    fn retry_after(
        &self,
        error: &(dyn std::error::Error + Send + Sync + 'static),
    ) -> Option<Duration> {
        error
            .downcast_ref::<Throttled>()
            .map(|throttled| throttled.retry_after)
    }
}

/// Callers ask every 10 s; the refresher is called again only once 300 s have passed.
async fn no_call_before_the_service_delay(
    credential: &CommunicationTokenCredential,
    calls: &Calls,
) {
    let error = credential.get_token().await.unwrap_err();
    assert!(error.find_source::<Throttled>().is_some(), "{error:?}");
    for _ in 0..29 {
        sleep(Duration::from_secs(10)).await;
        let error = credential.get_token().await.unwrap_err();
        assert!(error.find_source::<Throttled>().is_some(), "{error:?}");
    }
    assert_eq!(calls.times(), vec![Duration::ZERO], "no call within 300 s");
    sleep(Duration::from_secs(10)).await;
    credential.get_token().await.unwrap();
    assert_eq!(calls.count(), 2);
    assert!(calls.times()[1] >= Duration::from_secs(300));
}

#[tokio::test(start_paused = true)]
async fn a_refresher_retry_after_delays_the_next_call() {
    let clock = clock();
    let calls = Calls::new();
    let refresher = ThrottledService {
        calls: calls.clone(),
        clock: clock.clone(),
    };
    let options = CommunicationTokenRefreshOptions::new(refresher).wall_clock(clock);
    let credential = CommunicationTokenCredential::with_refresh(options);
    no_call_before_the_service_delay(&credential, &calls).await;
}

/// A credential whose closure refresher is first throttled with `retry_after`, then healthy; the
/// delay reaches the engine through `retry_after_hint`.
fn throttled_closure_credential(retry_after: Duration) -> (CommunicationTokenCredential, Calls) {
    let clock = clock();
    let calls = Calls::new();
    let (refresher_calls, refresher_clock) = (calls.clone(), clock.clone());
    let options = CommunicationTokenRefreshOptions::new(move || {
        let call = refresher_calls.record();
        let token = jwt(&refresher_clock, 60 * MINUTE);
        async move {
            if call == 1 {
                Err(Throttled { retry_after })
            } else {
                Ok(token)
            }
        }
    })
    .retry_after_hint(|error| {
        error
            .downcast_ref::<Throttled>()
            .map(|throttled| throttled.retry_after)
    })
    .wall_clock(clock);
    (CommunicationTokenCredential::with_refresh(options), calls)
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_hint_delays_the_next_call_of_a_closure_refresher() {
    let (credential, calls) = throttled_closure_credential(Duration::from_secs(300));
    no_call_before_the_service_delay(&credential, &calls).await;
}

/// A service (or a broken proxy) asking for years: the credential tries again after an hour.
#[tokio::test(start_paused = true)]
async fn a_retry_after_of_years_is_honoured_for_an_hour_only() {
    let (credential, calls) = throttled_closure_credential(Duration::from_secs(99_999_999));
    credential.get_token().await.unwrap_err();
    sleep(Duration::from_secs(60 * 60 - 1)).await;
    credential.get_token().await.unwrap_err();
    assert_eq!(calls.count(), 1, "no call within the hour");
    sleep(Duration::from_secs(1)).await;
    credential.get_token().await.unwrap();
    assert_eq!(calls.count(), 2);
    assert_eq!(calls.times()[1], Duration::from_secs(60 * 60));
}

#[tokio::test(start_paused = true)]
async fn a_proactive_credential_waits_out_the_service_delay_in_the_background() {
    let clock = clock();
    let calls = Calls::new();
    let refresher = ThrottledService {
        calls: calls.clone(),
        clock: clock.clone(),
    };
    let options = CommunicationTokenRefreshOptions::new(refresher)
        .refresh_proactively(true)
        .wall_clock(clock);
    let credential = CommunicationTokenCredential::with_refresh(options);
    sleep(Duration::from_secs(299)).await;
    assert_eq!(calls.count(), 1, "the background task waits the 300 s out");
    sleep(Duration::from_secs(2)).await;
    assert_eq!(calls.count(), 2);
    credential.get_token().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn find_source_walks_the_whole_chain() {
    #[derive(Debug, thiserror::Error)]
    #[error("the token service call failed")]
    struct Outer(#[source] std::io::Error);

    let options = CommunicationTokenRefreshOptions::new(|| async {
        Err::<String, _>(Outer(std::io::Error::other("connection reset")))
    });
    let credential = CommunicationTokenCredential::with_refresh(options);
    let error = credential.get_token().await.unwrap_err();
    assert!(error.find_source::<Outer>().is_some());
    assert_eq!(
        error.find_source::<std::io::Error>().unwrap().to_string(),
        "connection reset"
    );
    assert!(error.find_source::<CredentialError>().is_some(), "itself");
    assert!(error.find_source::<std::fmt::Error>().is_none());
}

#[tokio::test(start_paused = true)]
async fn refresh_rejected_on_a_proactive_credential_keeps_its_schedule() {
    let clock = clock();
    let (gate, calls) = (Arc::new(Semaphore::new(100)), Calls::new());
    let initial: AccessToken = jwt(&clock, 60 * MINUTE).parse().unwrap();
    let options = gated_unique(&gate, &calls, &clock)
        .refresh_proactively(true)
        .initial_token(initial.clone());
    let credential = CommunicationTokenCredential::with_refresh(options);
    assert_eq!(credential.get_token().await.unwrap(), initial);

    let replaced = credential.refresh_rejected(&initial).await.unwrap();
    assert_ne!(replaced.token(), initial.token());
    assert_eq!(calls.count(), 1);
    assert_eq!(credential.get_token().await.unwrap(), replaced);
    // The background task refreshes 10 minutes before the new token expires, not before.
    sleep(49 * MINUTE).await;
    assert_eq!(calls.count(), 1);
    sleep(2 * MINUTE).await;
    assert_eq!(calls.count(), 2);
    assert_ne!(credential.get_token().await.unwrap(), replaced);
}
