//! Hardening (issue 11): a background task on a runtime nobody drives, panics in the
//! refresher's error `Display` and in its future's `Drop`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::common::{Calls, MINUTE, ServiceDown};
use acs_refresh::test_util::WallClock;
use acs_refresh::{
    CommunicationTokenCredential, CommunicationTokenRefreshOptions, CredentialError,
};
use acs_token::test_util::TokenBuilder;

const HOUR: Duration = Duration::from_secs(3600);

/// A wall clock that moves only when told to, the same for every runtime (Tokio's paused clock
/// is per runtime).
#[derive(Debug, Clone)]
struct ManualClock(Arc<Mutex<SystemTime>>);

impl ManualClock {
    fn new() -> Self {
        // 2030-01-01T00:00Z.
        ManualClock(Arc::new(Mutex::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_893_456_000),
        )))
    }

    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl WallClock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

#[test]
fn a_task_on_a_runtime_nobody_drives_is_replaced_within_the_refresher_timeout() {
    let wall = ManualClock::new();
    let calls = Calls::new();
    let (refresher_wall, refresher_calls) = (wall.clone(), calls.clone());
    let options = CommunicationTokenRefreshOptions::new(move || {
        refresher_calls.record();
        let expires = time::OffsetDateTime::from(refresher_wall.now()) + HOUR;
        async move { Ok::<_, ServiceDown>(TokenBuilder::new().expires_on(expires).build()) }
    })
    .refresher_timeout(Duration::from_secs(10))
    .wall_clock(wall.clone());
    let credential = CommunicationTokenCredential::with_refresh(options);

    // The first call starts the background task on this runtime, which then stays alive but
    // is never driven again (like a current-thread `main` blocked in `join()`).
    let idle = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let first = idle.block_on(credential.get_token()).unwrap();
    assert_eq!(calls.count(), 1);

    wall.advance(HOUR + MINUTE);
    let busy = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let (answer, waited) = busy.block_on(async {
        let started = tokio::time::Instant::now();
        // Bounded, so that a wedged caller fails the test instead of hanging it.
        let answer = tokio::time::timeout(HOUR, credential.get_token()).await;
        (answer, started.elapsed())
    });
    let token = answer
        .expect("the caller waited for a background task that nothing polls")
        .unwrap();
    assert!(waited <= Duration::from_secs(11), "{waited:?}");
    assert!(token.expires_on() > first.expires_on());
    assert_eq!(calls.count(), 2);
    // The new task lives on the driven runtime and keeps serving.
    wall.advance(HOUR + MINUTE);
    busy.block_on(credential.get_token()).unwrap();
    assert_eq!(calls.count(), 3);
    drop(idle);
}

#[test]
fn a_stalled_task_is_replaced_before_expiry_when_a_caller_asks_in_the_refresh_window() {
    let wall = ManualClock::new();
    let calls = Calls::new();
    let (refresher_wall, refresher_calls) = (wall.clone(), calls.clone());
    let options = CommunicationTokenRefreshOptions::new(move || {
        refresher_calls.record();
        let expires = time::OffsetDateTime::from(refresher_wall.now()) + HOUR;
        async move { Ok::<_, ServiceDown>(TokenBuilder::new().expires_on(expires).build()) }
    })
    .refresh_proactively(true)
    .refresher_timeout(Duration::from_secs(10))
    .wall_clock(wall.clone());
    let credential = CommunicationTokenCredential::with_refresh(options);
    let idle = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let first = idle.block_on(credential.get_token()).unwrap();
    assert_eq!(calls.count(), 1);

    // A minute left: the proactive refresh (due 10 minutes before expiry) never ran, since
    // nothing drives its runtime. A caller in the refresh window gets the valid token at once
    // and, by asking, has the stalled task replaced well before the token expires.
    wall.advance(HOUR - MINUTE);
    let busy = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    busy.block_on(async {
        assert_eq!(credential.get_token().await.unwrap(), first);
        tokio::time::sleep(Duration::from_secs(12)).await;
        assert_eq!(calls.count(), 2);
        assert!(credential.get_token().await.unwrap().expires_on() > first.expires_on());
    });
    drop(idle);
}

/// A refresher error whose `Display` panics.
#[derive(Debug)]
struct DisplayPanics;

impl std::fmt::Display for DisplayPanics {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("refresher bug (in its error's Display)")
    }
}

impl std::error::Error for DisplayPanics {}

#[tokio::test(start_paused = true)]
async fn a_panic_in_the_refresher_error_display_is_a_refresher_panic_with_backoff() {
    let calls = Calls::new();
    let refresher_calls = calls.clone();
    let options = CommunicationTokenRefreshOptions::new(move || {
        refresher_calls.record();
        async { Err::<String, _>(DisplayPanics) }
    });
    let credential = CommunicationTokenCredential::with_refresh(options);
    for _ in 0..20 {
        let error = credential.get_token().await.unwrap_err();
        assert!(
            matches!(error, CredentialError::RefresherPanicked),
            "{error:?}"
        );
    }
    assert_eq!(calls.count(), 1, "the backoff holds");
    assert!(credential.background_task().is_running());
}

/// Panics when dropped.
struct DropPanics;

impl Drop for DropPanics {
    fn drop(&mut self) {
        panic!("refresher bug (in its future's Drop)");
    }
}

#[tokio::test(start_paused = true)]
async fn a_panic_when_the_timeout_drops_the_refresher_future_is_a_refresher_panic_with_backoff() {
    let calls = Calls::new();
    let refresher_calls = calls.clone();
    let options = CommunicationTokenRefreshOptions::new(move || {
        refresher_calls.record();
        async {
            let _guard = DropPanics;
            std::future::pending::<()>().await;
            Ok::<String, ServiceDown>(String::new())
        }
    })
    .refresher_timeout(Duration::from_secs(5));
    let credential = CommunicationTokenCredential::with_refresh(options);
    for _ in 0..20 {
        let error = credential.get_token().await.unwrap_err();
        assert!(
            matches!(error, CredentialError::RefresherPanicked),
            "{error:?}"
        );
    }
    assert_eq!(calls.count(), 1, "the backoff holds");
    assert!(credential.background_task().is_running());
}
