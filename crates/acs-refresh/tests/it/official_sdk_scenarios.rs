//! The scenarios the official SDKs test for their credential (refresh windows, single flight,
//! proactive refresh, errors, close), reproduced on paused time.

use std::error::Error as _;
use std::time::Duration;

use crate::common::{Calls, MINUTE, ServiceDown, clock, fresh_tokens_refresher, jwt};
use acs_refresh::{
    AccessToken, CommunicationTokenCredential, CommunicationTokenRefreshOptions, CredentialError,
};
use acs_token::test_util::TokenBuilder;
use tokio::time::sleep;

/// A proactive credential whose refresher returns fresh tokens of `lifetime`.
fn fresh_tokens(
    lifetime: Duration,
    initial: Option<Duration>,
    proactive: bool,
) -> (CommunicationTokenCredential, Calls) {
    let clock = clock();
    let calls = Calls::new();
    let mut options =
        CommunicationTokenRefreshOptions::new(fresh_tokens_refresher(&clock, &calls, lifetime))
            .refresh_proactively(proactive)
            .wall_clock(clock.clone());
    if let Some(initial) = initial {
        options = options.initial_token(jwt(&clock, initial).parse().unwrap());
    }
    (CommunicationTokenCredential::with_refresh(options), calls)
}

#[tokio::test(start_paused = true)]
async fn twenty_minute_token_is_refreshed_once_after_ten_and_a_half_minutes() {
    let (credential, calls) = fresh_tokens(20 * MINUTE, Some(20 * MINUTE), true);
    let initial = credential.get_token().await.unwrap();
    sleep(10 * MINUTE + MINUTE / 2).await;
    assert_eq!(calls.count(), 1);
    assert_eq!(calls.times()[0], 10 * MINUTE);
    let refreshed = credential.get_token().await.unwrap();
    assert_ne!(refreshed.token(), initial.token());
    assert_eq!(
        calls.count(),
        1,
        "serving the refreshed token calls nothing"
    );
    // A new timer was scheduled: the next refresh comes 10 minutes before the new expiry.
    sleep(10 * MINUTE).await;
    assert_eq!(calls.count(), 2);
    assert_eq!(calls.times()[1], 20 * MINUTE);
}

#[tokio::test(start_paused = true)]
async fn same_twenty_minute_token_is_refreshed_at_halves_without_a_tight_loop() {
    let clock = clock();
    let same = jwt(&clock, 20 * MINUTE);
    let calls = Calls::new();
    let refresher_calls = calls.clone();
    let returned = same.clone();
    let options = CommunicationTokenRefreshOptions::new(move || {
        refresher_calls.record();
        let token = returned.clone();
        async move { Ok::<_, ServiceDown>(token) }
    })
    .refresh_proactively(true)
    .initial_token(same.parse().unwrap())
    .wall_clock(clock.clone());
    let credential = CommunicationTokenCredential::with_refresh(options);

    sleep(20 * MINUTE - Duration::from_millis(1)).await;
    let times = calls.times();
    // First at the 10-minute mark, then at half the remaining lifetime each time:
    // 600 s, 300 s, 150 s, ... left, about log2(1200) ≈ 10 more.
    assert_eq!(times[0], 10 * MINUTE);
    assert!(
        (9..=12).contains(&(times.len() - 1)),
        "{} refreshes: {times:?}",
        times.len()
    );
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(999),
            "tight loop: {times:?}"
        );
    }
    // After expiry, the refresher's (expired) token is an error, retried with backoff.
    let before_expiry = calls.count();
    sleep(MINUTE).await;
    assert!(calls.count() - before_expiry <= 8, "{:?}", calls.times());
    assert!(credential.get_token().await.is_err());
}

#[tokio::test(start_paused = true)]
async fn ten_concurrent_callers_on_an_expired_token_make_one_refresher_call() {
    let clock = clock();
    let calls = Calls::new();
    let (refresher_clock, refresher_calls) = (clock.clone(), calls.clone());
    let options = CommunicationTokenRefreshOptions::new(move || {
        refresher_calls.record();
        let token = jwt(&refresher_clock, 60 * MINUTE);
        async move {
            sleep(Duration::from_secs(1)).await;
            Ok::<_, ServiceDown>(token)
        }
    })
    .initial_token(jwt(&clock, MINUTE).parse().unwrap())
    .wall_clock(clock.clone());
    let credential = CommunicationTokenCredential::with_refresh(options);
    sleep(2 * MINUTE).await; // the initial token has expired
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let credential = credential.clone();
            tokio::spawn(async move { credential.get_token().await })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap().unwrap());
    }
    assert_eq!(calls.count(), 1);
    assert!(tokens.windows(2).all(|pair| pair[0] == pair[1]));
}

#[tokio::test(start_paused = true)]
async fn proactive_with_a_valid_sixty_minute_initial_token_calls_nothing_at_construction() {
    let (credential, calls) = fresh_tokens(60 * MINUTE, Some(60 * MINUTE), true);
    sleep(MINUTE).await;
    assert_eq!(calls.count(), 0);
    credential.get_token().await.unwrap();
    assert_eq!(calls.count(), 0);
    sleep(49 * MINUTE - Duration::from_millis(1)).await;
    assert_eq!(calls.count(), 0, "nothing before the 10-minute window");
}

#[tokio::test(start_paused = true)]
async fn proactive_without_an_initial_token_refreshes_immediately() {
    let (_credential, calls) = fresh_tokens(60 * MINUTE, None, true);
    tokio::task::yield_now().await;
    sleep(Duration::from_millis(1)).await;
    assert_eq!(calls.count(), 1);
    assert_eq!(calls.times()[0], Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn proactive_with_an_expired_initial_token_refreshes_immediately() {
    let clock = clock();
    let calls = Calls::new();
    let expired: AccessToken = TokenBuilder::new().exp(100).build().parse().unwrap();
    let options =
        CommunicationTokenRefreshOptions::new(fresh_tokens_refresher(&clock, &calls, 60 * MINUTE))
            .refresh_proactively(true)
            .initial_token(expired.clone())
            .wall_clock(clock);
    let credential = CommunicationTokenCredential::with_refresh(options);
    sleep(Duration::from_millis(1)).await;
    assert_eq!(calls.count(), 1);
    assert_ne!(credential.get_token().await.unwrap(), expired);
}

#[tokio::test(start_paused = true)]
async fn refresher_error_surfaces_and_the_credential_stays_usable() {
    let clock = clock();
    let calls = Calls::new();
    let (refresher_clock, refresher_calls) = (clock.clone(), calls.clone());
    let options = CommunicationTokenRefreshOptions::new(move || {
        let call = refresher_calls.record();
        let token = jwt(&refresher_clock, 60 * MINUTE);
        async move {
            if call == 1 {
                Err(ServiceDown(call))
            } else {
                Ok(token)
            }
        }
    })
    .wall_clock(clock);
    let credential = CommunicationTokenCredential::with_refresh(options);

    let error = credential.get_token().await.unwrap_err();
    assert!(matches!(error, CredentialError::Refresher(_)), "{error:?}");
    let source = error.source().expect("the refresher's error is the source");
    assert_eq!(source.downcast_ref::<ServiceDown>(), Some(&ServiceDown(1)));
    assert_eq!(
        error.refresher_error().unwrap().to_string(),
        "token service unavailable (1)"
    );

    // Within the retry delay the same error comes back at once, without a new call.
    let again = credential.get_token().await.unwrap_err();
    assert!(matches!(again, CredentialError::Refresher(_)));
    assert_eq!(calls.count(), 1);

    sleep(Duration::from_secs(1)).await;
    let token = credential.get_token().await.unwrap();
    assert!(!token.token().is_empty());
    assert_eq!(calls.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn an_expired_token_from_the_refresher_is_an_error_with_the_official_message() {
    let options = CommunicationTokenRefreshOptions::new(|| async {
        Ok::<_, ServiceDown>(TokenBuilder::new().exp(100).build())
    })
    .wall_clock(clock());
    let credential = CommunicationTokenCredential::with_refresh(options);
    let error = credential.get_token().await.unwrap_err();
    assert!(
        matches!(error, CredentialError::ExpiredToken { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "The token returned from the tokenRefresher is expired."
    );
}

#[tokio::test]
async fn a_static_expired_token_is_returned_as_is() {
    let expired = TokenBuilder::new().exp(100).build();
    let credential = CommunicationTokenCredential::from_token(&expired).unwrap();
    let token = credential.get_token().await.unwrap();
    assert_eq!(token.token(), expired);
    assert_eq!(token.expires_on().unix_timestamp(), 100);
    // The sample token of the official SDKs' tests, payload `{"exp":32503680000}` (the year
    // 3000).
    let year_3000 = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjMyNTAzNjgwMDAwfQ.9i7FNNHHJT8cOzo-yrAUJyBSfJ-tPPk2emcHavOEpWc";
    let from_official_tests = CommunicationTokenCredential::from_token(year_3000).unwrap();
    assert_eq!(
        from_official_tests
            .get_token()
            .await
            .unwrap()
            .expires_on()
            .year(),
        3000
    );
    let expired_sample = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEwMH0.9i7FNNHHJT8cOzo-yrAUJyBSfJ-tPPk2emcHavOEpWc";
    let credential = CommunicationTokenCredential::from_token(expired_sample).unwrap();
    assert_eq!(
        credential.get_token().await.unwrap().token(),
        expired_sample
    );
}

#[test]
fn unparsable_static_tokens_are_errors() {
    for bad in [
        "foo",
        "foo.bar",
        "foo.bar.foobar",
        "IAmNotAToken",
        "not.a.real.token",
        "",
    ] {
        assert!(
            CommunicationTokenCredential::from_token(bad).is_err(),
            "{bad}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_closed_credential_fails_and_stops() {
    let credential =
        CommunicationTokenCredential::from_token(&TokenBuilder::new().build()).unwrap();
    let clone = credential.clone();
    credential.close();
    assert!(matches!(
        clone.get_token().await,
        Err(CredentialError::Closed)
    ));
    assert!(clone.is_closed());

    let (credential, calls) = fresh_tokens(60 * MINUTE, Some(60 * MINUTE), true);
    credential.get_token().await.unwrap();
    credential.close();
    credential.close();
    assert!(matches!(
        credential.get_token().await,
        Err(CredentialError::Closed)
    ));
    sleep(24 * 60 * MINUTE).await;
    assert_eq!(calls.count(), 0, "no refresh after close");
}

#[tokio::test(start_paused = true)]
async fn on_demand_refresh_starts_two_minutes_before_expiry() {
    let (credential, calls) = fresh_tokens(60 * MINUTE, Some(5 * MINUTE), false);
    let initial = credential.get_token().await.unwrap();
    sleep(2 * MINUTE + MINUTE / 2).await; // 2.5 minutes left
    assert_eq!(credential.get_token().await.unwrap(), initial);
    assert_eq!(calls.count(), 0);
    sleep(MINUTE).await; // 1.5 minutes left: starts a refresh, still gets the valid token
    assert_eq!(credential.get_token().await.unwrap(), initial);
    tokio::task::yield_now().await;
    sleep(Duration::from_millis(1)).await;
    assert_eq!(calls.count(), 1);
    assert_ne!(credential.get_token().await.unwrap(), initial);
    assert_eq!(calls.count(), 1);
}
