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
    let answer = answer.expect("the caller waited for a background task that nothing polls");
    assert!(waited <= Duration::from_secs(11), "{waited:?}");
    // Released when the stalled task is given up: with the new task's token if it answered
    // first (this refresher answers at once), else with a timeout; then the next call has it.
    let token = match answer {
        Ok(token) => token,
        Err(CredentialError::Timeout { .. }) => busy.block_on(credential.get_token()).unwrap(),
        Err(error) => panic!("{error:?}"),
    };
    assert!(token.expires_on() > first.expires_on());
    assert_eq!(calls.count(), 2);
    // The new task lives on the driven runtime and keeps serving.
    wall.advance(HOUR + MINUTE);
    busy.block_on(credential.get_token()).unwrap();
    assert_eq!(calls.count(), 3);
    drop(idle);
}

/// The refresher timeout of the stalled-task tests, and the most any caller may wait: that
/// timeout plus the engine's one-second margin.
const TIMEOUT: Duration = Duration::from_secs(10);
const BOUND: Duration = Duration::from_secs(11);

/// A credential whose first refresher call answers at once and every later one after 9 s
/// (on the clock of the runtime that runs it), with a token valid for an hour.
fn slow_after_first_call(wall: &ManualClock, calls: &Calls) -> CommunicationTokenCredential {
    let (refresher_wall, refresher_calls) = (wall.clone(), calls.clone());
    let options = CommunicationTokenRefreshOptions::new(move || {
        let call = refresher_calls.record();
        let wall = refresher_wall.clone();
        async move {
            if call > 1 {
                tokio::time::sleep(Duration::from_secs(9)).await;
            }
            let expires = time::OffsetDateTime::from(wall.now()) + HOUR;
            Ok::<_, ServiceDown>(TokenBuilder::new().expires_on(expires).build())
        }
    })
    .refresher_timeout(TIMEOUT)
    .wall_clock(wall.clone());
    CommunicationTokenCredential::with_refresh(options)
}

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
}

/// Calls `get_token` on `runtime` and returns its answer and how long it took (on that
/// runtime's paused clock). Bounded by an hour, so that a wedged caller fails the test
/// instead of hanging it.
fn timed_get_token(
    runtime: &tokio::runtime::Runtime,
    credential: &CommunicationTokenCredential,
) -> (Result<acs_token::AccessToken, CredentialError>, Duration) {
    runtime.block_on(async {
        let started = tokio::time::Instant::now();
        let answer = tokio::time::timeout(HOUR, credential.get_token())
            .await
            .expect("the caller waited for a background task that nothing polls");
        (answer, started.elapsed())
    })
}

#[test]
fn callers_of_a_stalled_task_wait_no_longer_than_the_refresher_timeout_plus_the_margin() {
    let wall = ManualClock::new();
    let calls = Calls::new();
    let credential = slow_after_first_call(&wall, &calls);
    let idle = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let first = idle.block_on(credential.get_token()).unwrap();

    wall.advance(HOUR + MINUTE);
    let busy = paused_runtime();
    // Waits for the task on the idle runtime until the watchdog gives it up; the new task's
    // refresher call (9 s) is not added to that wait.
    let (answer, waited) = timed_get_token(&busy, &credential);
    assert!(
        matches!(answer, Err(CredentialError::Timeout { timeout }) if timeout == TIMEOUT),
        "{answer:?}"
    );
    assert!(waited <= BOUND, "{waited:?}");
    // Not released before a task that is driven would have been cut off.
    assert!(waited >= TIMEOUT, "{waited:?}");
    assert_eq!(
        calls.count(),
        2,
        "the new task called the refresher at once"
    );
    // The next caller gets the new task's token, within the bound too.
    let (answer, waited) = timed_get_token(&busy, &credential);
    assert!(answer.unwrap().expires_on() > first.expires_on());
    assert!(waited <= BOUND, "{waited:?}");
    assert_eq!(calls.count(), 2);
    drop(idle);
}

#[test]
fn a_caller_is_bounded_even_when_the_runtime_of_the_first_watchdog_stops_being_driven() {
    let wall = ManualClock::new();
    let calls = Calls::new();
    let credential = slow_after_first_call(&wall, &calls);
    let idle = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let first = idle.block_on(credential.get_token()).unwrap();

    wall.advance(HOUR + MINUTE);
    // A caller on a second runtime requests the refresh (arming a watchdog there), gives up
    // after a second, and that runtime is never driven again either.
    let abandoned = paused_runtime();
    let gave_up = abandoned.block_on(async {
        tokio::time::timeout(Duration::from_secs(1), credential.get_token()).await
    });
    assert!(gave_up.is_err(), "{gave_up:?}");

    // A caller on a third runtime has a watchdog of its own.
    let busy = paused_runtime();
    let (answer, waited) = timed_get_token(&busy, &credential);
    assert!(
        matches!(answer, Err(CredentialError::Timeout { timeout }) if timeout == TIMEOUT),
        "{answer:?}"
    );
    assert!(waited <= BOUND, "{waited:?}");
    let (answer, waited) = timed_get_token(&busy, &credential);
    assert!(answer.unwrap().expires_on() > first.expires_on());
    assert!(waited <= BOUND, "{waited:?}");
    assert_eq!(calls.count(), 2);
    drop((idle, abandoned));
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

/// The tasks alive on the current runtime, after letting every ready one run.
async fn alive_tasks_once_settled() -> usize {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

#[tokio::test(start_paused = true)]
async fn a_watchdog_ends_with_the_outcome_it_watches_not_after_the_refresher_timeout() {
    let clock = crate::common::clock();
    let calls = Calls::new();
    // A generous timeout (here the largest): the watchdog of a refresh that was answered
    // must not sleep it out, and must not outlive the credential.
    let options = CommunicationTokenRefreshOptions::new(crate::common::fresh_tokens_refresher(
        &clock, &calls, HOUR,
    ))
    .refresher_timeout(Duration::MAX)
    .wall_clock(clock.clone());
    let credential = CommunicationTokenCredential::with_refresh(options);
    for _ in 0..10 {
        credential.get_token().await.unwrap();
        // Past the refresh window: the next call waits for a new token, arming a watchdog.
        tokio::time::advance(HOUR).await;
    }
    assert_eq!(calls.count(), 10);
    assert_eq!(
        alive_tasks_once_settled().await,
        1,
        "only the background task is alive, no watchdog of an answered refresh"
    );
    drop(credential);
    assert_eq!(
        alive_tasks_once_settled().await,
        0,
        "nothing is left running for a dropped credential"
    );
}

/// A refresher error whose `source()` is itself (a bug in user code: a cycle), counting how
/// often its chain was walked. After `CUT` steps it ends the chain, so that a walk without a
/// bound fails this test instead of spinning forever.
#[derive(Debug, Clone, Default)]
struct CyclicError(Arc<std::sync::atomic::AtomicUsize>);

impl CyclicError {
    const CUT: usize = 100_000;

    fn steps(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl std::fmt::Display for CyclicError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an error that is its own source")
    }
}

impl std::error::Error for CyclicError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let steps = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        (steps < Self::CUT).then_some(self as &(dyn std::error::Error + 'static))
    }
}

#[tokio::test(start_paused = true)]
async fn a_refresher_error_that_is_its_own_source_is_walked_a_bounded_number_of_steps() {
    let error = CyclicError::default();
    let refresher_error = error.clone();
    let options = CommunicationTokenRefreshOptions::new(move || {
        let error = refresher_error.clone();
        async move { Err::<String, _>(error) }
    });
    let credential = CommunicationTokenCredential::with_refresh(options);
    let failure = credential.get_token().await.unwrap_err();
    assert!(
        error.steps() < 1000,
        "the background task walked {} steps of the cycle to log it",
        error.steps()
    );
    let before = error.steps();
    assert!(failure.find_source::<std::io::Error>().is_none());
    assert!(
        error.steps() - before < 1000,
        "find_source walked {} steps of the cycle",
        error.steps() - before
    );
    assert!(failure.find_source::<CyclicError>().is_some());
}
