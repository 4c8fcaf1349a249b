//! What the engine guarantees beyond the official SDKs: single flight, cancellation, retries,
//! timeouts, panics, long lifetimes, background task lifetime, many credentials per thread.
//! (Secrets in logs: `secrets.rs`; hardening against stalled runtimes and panics in user code:
//! `hardening.rs`.)

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::common::{
    Calls, MINUTE, ServiceDown, clock, fresh_tokens_refresher, healthy_flag_refresher, jwt,
};
use acs_refresh::{
    AccessToken, BlockingRefresher, BoxError, CommunicationTokenCredential,
    CommunicationTokenRefreshOptions, CredentialError, RefreshedToken, TokenRefresher,
};
use acs_token::test_util::{Malformation, TokenBuilder};
use tokio::sync::Semaphore;
use tokio::time::sleep;

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// Polls a future once, without a runtime's help: `Ready` means the caller did not wait.
fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let mut future = pin!(future);
    future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
}

/// A refresher that waits for a permit of `gate` before returning a 60-minute token.
fn gated(
    gate: Arc<Semaphore>,
    calls: Calls,
    clock: acs_refresh::test_util::TokioClock,
) -> impl TokenRefresher {
    move || {
        calls.record();
        let (gate, clock) = (gate.clone(), clock.clone());
        async move {
            gate.acquire().await.unwrap().forget();
            Ok::<_, ServiceDown>(jwt(&clock, 60 * MINUTE))
        }
    }
}

async fn single_flight(callers: usize) {
    let clock = clock();
    let (gate, calls) = (Arc::new(Semaphore::new(0)), Calls::new());
    let options =
        CommunicationTokenRefreshOptions::new(gated(gate.clone(), calls.clone(), clock.clone()))
            .wall_clock(clock);
    let credential = CommunicationTokenCredential::with_refresh(options);
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let credential = credential.clone();
            tokio::spawn(async move { credential.get_token().await })
        })
        .collect();
    while calls.count() == 0 {
        tokio::task::yield_now().await;
    }
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    gate.add_permits(1);
    let mut tokens = Vec::with_capacity(callers);
    for task in tasks {
        tokens.push(task.await.unwrap().unwrap());
    }
    assert_eq!(calls.count(), 1, "{callers} callers");
    assert!(tokens.iter().all(|token| *token == tokens[0]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_refresher_call_for_1_10_and_10_000_callers_on_many_threads() {
    for callers in [1, 10, 10_000] {
        single_flight(callers).await;
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn one_refresher_call_for_10_000_callers_on_one_thread() {
    single_flight(10_000).await;
}

#[tokio::test(start_paused = true)]
async fn callers_with_a_valid_token_never_wait_for_the_refresh() {
    let clock = clock();
    let (gate, calls) = (Arc::new(Semaphore::new(0)), Calls::new());
    let initial: AccessToken = jwt(&clock, 10 * MINUTE).parse().unwrap();
    let options =
        CommunicationTokenRefreshOptions::new(gated(gate.clone(), calls.clone(), clock.clone()))
            .initial_token(initial.clone())
            .refresher_timeout(HOUR)
            .wall_clock(clock);
    let credential = CommunicationTokenCredential::with_refresh(options);
    sleep(9 * MINUTE).await; // inside the 2-minute window
    for _ in 0..100 {
        match poll_once(credential.get_token()) {
            Poll::Ready(token) => assert_eq!(token.unwrap(), initial),
            Poll::Pending => panic!("a caller with a valid token waited"),
        }
    }
    sleep(Duration::from_millis(1)).await;
    assert_eq!(calls.count(), 1, "one refresh started, still in flight");
    // Once the token has expired, callers wait.
    sleep(MINUTE).await;
    assert!(poll_once(credential.get_token()).is_pending());
    gate.add_permits(1);
    assert_ne!(credential.get_token().await.unwrap(), initial);
    assert_eq!(calls.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_caller_that_drops_its_future_cancels_nothing() {
    let clock = clock();
    let (gate, calls) = (Arc::new(Semaphore::new(0)), Calls::new());
    let options =
        CommunicationTokenRefreshOptions::new(gated(gate.clone(), calls.clone(), clock.clone()))
            .wall_clock(clock);
    let credential = CommunicationTokenCredential::with_refresh(options);

    // The first caller starts the refresh, then gives up.
    assert!(poll_once(credential.get_token()).is_pending());
    sleep(Duration::from_millis(1)).await;
    assert_eq!(calls.count(), 1);
    // Another caller waits for the same refresh, which completes.
    let waiter = tokio::spawn({
        let credential = credential.clone();
        async move { credential.get_token().await }
    });
    // And one more that is cancelled by a timeout while waiting.
    let impatient = tokio::time::timeout(Duration::from_secs(1), credential.get_token()).await;
    assert!(impatient.is_err());
    gate.add_permits(1);
    let token = waiter.await.unwrap().unwrap();
    assert_eq!(credential.get_token().await.unwrap(), token);
    assert_eq!(calls.count(), 1);

    // With every caller gone, the refresh still completes and is kept.
    sleep(3 * 60 * MINUTE).await; // expired
    assert!(poll_once(credential.get_token()).is_pending());
    sleep(Duration::from_millis(1)).await;
    assert_eq!(calls.count(), 2);
    gate.add_permits(1);
    sleep(Duration::from_millis(1)).await;
    assert!(matches!(
        poll_once(credential.get_token()),
        Poll::Ready(Ok(_))
    ));
    assert_eq!(calls.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn background_failures_are_retried_with_capped_backoff_while_the_token_is_served() {
    let clock = clock();
    let calls = Calls::new();
    let healthy = Arc::new(AtomicBool::new(false));
    let initial: AccessToken = jwt(&clock, 20 * MINUTE).parse().unwrap();
    let options = CommunicationTokenRefreshOptions::new(healthy_flag_refresher(
        &clock,
        &calls,
        &healthy,
        60 * MINUTE,
    ))
    .refresh_proactively(true)
    .initial_token(initial.clone())
    .wall_clock(clock);
    let credential = CommunicationTokenCredential::with_refresh(options);

    // Failing from the 10-minute mark until expiry: the valid token is served throughout.
    for _ in 0..19 {
        sleep(MINUTE).await;
        assert_eq!(credential.get_token().await.unwrap(), initial);
    }
    let times = calls.times();
    assert_eq!(times[0], 10 * MINUTE);
    let gaps: Vec<Duration> = times.windows(2).map(|pair| pair[1] - pair[0]).collect();
    // Exponential: each ceiling doubles from 1 s; equal jitter keeps each gap within [c/2, c]
    // (or half the remaining lifetime near expiry).
    for (i, gap) in gaps.iter().enumerate().take(6) {
        let ceiling = Duration::from_secs(1 << i);
        assert!(*gap >= ceiling / 2 && *gap <= ceiling, "gap {i}: {gaps:?}");
    }
    assert!(
        gaps.iter()
            .all(|gap| *gap <= 5 * MINUTE && *gap >= Duration::from_millis(500))
    );
    assert!(times.len() < 25, "{times:?}");

    // Expired: the last error goes to the caller at once, without another call.
    sleep(MINUTE).await;
    let before = calls.count();
    let error = credential.get_token().await.unwrap_err();
    assert!(matches!(error, CredentialError::Refresher(_)), "{error:?}");
    assert!(calls.count() - before <= 1);
    // Retries continue at the capped rate; the credential recovers with the refresher.
    let before = calls.count();
    sleep(60 * MINUTE).await;
    let in_an_hour = calls.count() - before;
    assert!(
        (10..=26).contains(&in_an_hour),
        "{in_an_hour} retries in an hour at a 5-minute cap"
    );
    healthy.store(true, Ordering::SeqCst);
    sleep(5 * MINUTE).await;
    let recovered = credential.get_token().await.unwrap();
    assert!(recovered.expires_on() > initial.expires_on());
}

#[tokio::test(start_paused = true)]
async fn a_hanging_refresher_is_cut_off_by_the_timeout() {
    let clock = clock();
    let calls = Calls::new();
    let (refresher_clock, refresher_calls) = (clock.clone(), calls.clone());
    let options = CommunicationTokenRefreshOptions::new(move || {
        let call = refresher_calls.record();
        let token = jwt(&refresher_clock, 60 * MINUTE);
        async move {
            if call == 1 {
                std::future::pending::<()>().await;
            }
            Ok::<_, ServiceDown>(token)
        }
    })
    .refresher_timeout(Duration::from_secs(5))
    .wall_clock(clock);
    let credential = CommunicationTokenCredential::with_refresh(options);
    let started = tokio::time::Instant::now();
    // Bounded, so that a missing cut-off fails the test instead of hanging it.
    let error = tokio::time::timeout(HOUR, credential.get_token())
        .await
        .expect("the hanging refresher was not cut off")
        .unwrap_err();
    assert!(
        matches!(error, CredentialError::Timeout { timeout } if timeout == Duration::from_secs(5))
    );
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    sleep(Duration::from_secs(1)).await;
    credential.get_token().await.unwrap();
    assert_eq!(calls.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_refresher_gives_an_error_not_a_stuck_credential() {
    let clock = clock();
    let calls = Calls::new();
    let (refresher_clock, refresher_calls) = (clock.clone(), calls.clone());
    let options = CommunicationTokenRefreshOptions::new(move || {
        let call = refresher_calls.record();
        assert!(call != 1, "refresher bug (synchronous part)");
        let token = jwt(&refresher_clock, 60 * MINUTE);
        async move {
            assert!(call != 2, "refresher bug (in the future)");
            Ok::<_, ServiceDown>(token)
        }
    })
    .wall_clock(clock);
    let credential = CommunicationTokenCredential::with_refresh(options);
    for _ in 0..2 {
        let error = credential.get_token().await.unwrap_err();
        assert!(
            matches!(error, CredentialError::RefresherPanicked),
            "{error:?}"
        );
        sleep(Duration::from_secs(2)).await;
    }
    credential.get_token().await.unwrap();
    assert_eq!(calls.count(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_blocking_refresher_runs_off_the_async_threads_and_its_panic_is_an_error() {
    let panics = Arc::new(AtomicBool::new(true));
    let refresher_panics = panics.clone();
    let options = CommunicationTokenRefreshOptions::new(BlockingRefresher::new(move || {
        assert!(
            !refresher_panics.load(Ordering::SeqCst),
            "blocking refresher bug"
        );
        std::thread::sleep(Duration::from_millis(2));
        Ok::<_, std::io::Error>(TokenBuilder::new().build())
    }));
    let credential = CommunicationTokenCredential::with_refresh(options);
    assert!(matches!(
        credential.get_token().await,
        Err(CredentialError::RefresherPanicked)
    ));
    panics.store(false, Ordering::SeqCst);
    sleep(Duration::from_secs(2)).await;
    assert_eq!(
        credential.get_token().await.unwrap().expires_on().year(),
        3000
    );
}

#[tokio::test(start_paused = true)]
async fn a_four_hundred_day_token_is_scheduled_without_overflow() {
    let clock = clock();
    let calls = Calls::new();
    let options =
        CommunicationTokenRefreshOptions::new(fresh_tokens_refresher(&clock, &calls, 400 * DAY))
            .refresh_proactively(true)
            .initial_token(jwt(&clock, 400 * DAY).parse().unwrap())
            .wall_clock(clock);
    let credential = CommunicationTokenCredential::with_refresh(options);
    sleep(400 * DAY - 10 * MINUTE - Duration::from_secs(1)).await;
    assert_eq!(calls.count(), 0);
    sleep(Duration::from_secs(2)).await;
    assert_eq!(calls.count(), 1);
    assert_eq!(calls.times()[0], 400 * DAY - 10 * MINUTE);
    credential.get_token().await.unwrap();

    // The year 9999, the end of `exp`'s range, in every mode.
    let year_9999: AccessToken = TokenBuilder::new()
        .exp(253_402_300_799)
        .build()
        .parse()
        .unwrap();
    let fixed = CommunicationTokenCredential::from_access_token(year_9999.clone());
    assert_eq!(fixed.get_token().await.unwrap(), year_9999);
    let options =
        CommunicationTokenRefreshOptions::new(|| async { Err::<String, _>(ServiceDown(0)) })
            .refresh_proactively(true)
            .initial_token(year_9999.clone());
    let refreshing = CommunicationTokenCredential::with_refresh(options);
    sleep(DAY).await;
    assert_eq!(refreshing.get_token().await.unwrap(), year_9999);
}

/// 30 days, paused: a 60-minute-token refresher that is down 6 hours of every 24 (plus one
/// 30-hour outage), with a caller every 30 s. Bound on refresher calls: at most one per
/// healthy 50-minute token (≤ 1.2 per healthy hour), plus for each outage ≤ 10 calls to reach
/// the 5-minute cap and then ≤ 1 per 2.5 minutes (the cap's jitter floor), 24 per hour.
#[tokio::test(start_paused = true)]
async fn thirty_days_with_outages_keep_calls_bounded_and_recover() {
    let clock = clock();
    let calls = Calls::new();
    let healthy = Arc::new(AtomicBool::new(true));
    let options = CommunicationTokenRefreshOptions::new(healthy_flag_refresher(
        &clock,
        &calls,
        &healthy,
        60 * MINUTE,
    ))
    .refresh_proactively(true)
    .wall_clock(clock.clone());
    let credential = CommunicationTokenCredential::with_refresh(options);

    let step = Duration::from_secs(30);
    let mut outage_hours = 0.0;
    let mut outages = 0;
    let mut recoveries = 0;
    let mut down_since: Option<tokio::time::Instant> = None;
    let start = tokio::time::Instant::now();
    while start.elapsed() < 30 * DAY {
        let elapsed = start.elapsed();
        let hour_of_day = (elapsed.as_secs() / 3600) % 24;
        let long_outage = elapsed >= 10 * DAY && elapsed < 10 * DAY + 30 * HOUR;
        let down = long_outage || (18..24).contains(&hour_of_day);
        if down == healthy.load(Ordering::SeqCst) {
            healthy.store(!down, Ordering::SeqCst);
            if down {
                outages += 1;
                down_since = Some(tokio::time::Instant::now());
            } else if let Some(since) = down_since.take() {
                outage_hours += since.elapsed().as_secs_f64() / 3600.0;
            }
        }
        let result = credential.get_token().await;
        if !down {
            // Recovery within one capped retry delay (5 min) of the refresher coming back.
            if let Err(error) = &result {
                let recovering_for = (elapsed.as_secs() % 3600) as f64;
                assert!(
                    recovering_for <= 330.0,
                    "not recovered after {recovering_for} s: {error}"
                );
            } else if elapsed.as_secs() % 86_400 == 600 {
                recoveries += 1;
            }
            if let Ok(token) = &result {
                assert!(token.expires_on() > clock.now_utc());
            }
        }
        sleep(step).await;
    }
    let healthy_hours = 30.0 * 24.0 - outage_hours;
    let bound = (healthy_hours * 1.2 + outages as f64 * 10.0 + outage_hours * 24.0).ceil() as usize;
    let count = calls.count();
    assert!(count <= bound, "{count} refresher calls > bound {bound}");
    assert!(
        count >= (healthy_hours / 1.0) as usize,
        "{count}: too few refreshes"
    );
    assert!(recoveries >= 25, "{recoveries}");
    eprintln!(
        "30 days: {count} refresher calls (bound {bound}), {outages} outages, {outage_hours:.0} h down"
    );
}

#[tokio::test(start_paused = true)]
async fn the_background_task_ends_when_the_last_clone_is_dropped() {
    let clock = clock();
    let marker = Arc::new(());
    let refresher_marker = marker.clone();
    let refresher_clock = clock.clone();
    let options = CommunicationTokenRefreshOptions::new(move || {
        let _keep = &refresher_marker;
        let token = jwt(&refresher_clock, 60 * MINUTE);
        async move { Ok::<_, ServiceDown>(token) }
    })
    .refresh_proactively(true)
    .wall_clock(clock);
    let credential = CommunicationTokenCredential::with_refresh(options);
    let clone = credential.clone();
    sleep(Duration::from_millis(1)).await;
    let task = credential.background_task();
    assert!(task.is_running());
    drop(credential);
    sleep(2 * 60 * MINUTE).await;
    assert!(task.is_running(), "a clone is still alive");
    clone.get_token().await.unwrap();
    drop(clone);
    tokio::task::yield_now().await;
    sleep(Duration::from_millis(1)).await;
    assert!(!task.is_running());
    assert_eq!(
        Arc::strong_count(&marker),
        1,
        "the refresher was dropped too"
    );
}

#[tokio::test(start_paused = true)]
async fn the_background_task_ends_on_close_even_mid_refresh() {
    let clock = clock();
    let (gate, calls) = (Arc::new(Semaphore::new(0)), Calls::new());
    let options = CommunicationTokenRefreshOptions::new(gated(gate, calls.clone(), clock.clone()))
        .refresh_proactively(true)
        .wall_clock(clock);
    let credential = CommunicationTokenCredential::with_refresh(options);
    let waiter = tokio::spawn({
        let credential = credential.clone();
        async move { credential.get_token().await }
    });
    sleep(Duration::from_millis(1)).await;
    assert_eq!(calls.count(), 1);
    let task = credential.background_task();
    assert!(task.is_running());
    credential.close();
    assert!(matches!(
        waiter.await.unwrap(),
        Err(CredentialError::Closed)
    ));
    sleep(Duration::from_millis(1)).await;
    assert!(!task.is_running());
}

#[test]
fn a_credential_outlives_the_runtime_that_started_its_task() {
    let clock_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let options = CommunicationTokenRefreshOptions::new(|| async {
        Ok::<_, ServiceDown>(TokenBuilder::new().build())
    })
    .refresh_proactively(true);
    // Built outside any runtime: the task starts on first use.
    let credential = CommunicationTokenCredential::with_refresh(options);
    let task = clock_runtime.block_on(async {
        credential.get_token().await.unwrap();
        credential.background_task()
    });
    assert!(task.is_running());
    drop(clock_runtime);
    assert!(!task.is_running());
    let second = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    second.block_on(async {
        credential.get_token().await.unwrap();
        assert!(credential.background_task().is_running());
    });
}

#[test]
fn outside_a_runtime_a_refresh_is_a_clear_error() {
    let options = CommunicationTokenRefreshOptions::new(|| async {
        Ok::<_, ServiceDown>(TokenBuilder::new().build())
    });
    let credential = CommunicationTokenCredential::with_refresh(options);
    match poll_once(credential.get_token()) {
        Poll::Ready(Err(CredentialError::NoRuntime)) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresher_runs_without_any_credential_lock_held() {
    // The refresher reads the credential's state (which takes its lock). Were the refresher
    // called under that lock, this would deadlock (or panic) instead of completing.
    let slot: Arc<Mutex<Option<CommunicationTokenCredential>>> = Arc::default();
    let refresher_slot = slot.clone();
    let options = CommunicationTokenRefreshOptions::new(move || {
        let credential = refresher_slot.lock().unwrap().clone();
        let described =
            credential.map(|credential| (format!("{credential:?}"), credential.is_closed()));
        async move {
            let (debug, closed) = described.expect("credential set");
            assert!(debug.contains("on demand") && !closed);
            Ok::<_, ServiceDown>(TokenBuilder::new().build())
        }
    });
    let credential = CommunicationTokenCredential::with_refresh(options);
    *slot.lock().unwrap() = Some(credential.clone());
    let token = tokio::time::timeout(Duration::from_secs(5), credential.get_token()).await;
    assert!(token.expect("no deadlock").is_ok());
    slot.lock().unwrap().take();
}

/// A refresher error whose `Display` reads the credential it came from (whether it is closed).
struct InspectingError(Arc<Mutex<Option<CommunicationTokenCredential>>>);

impl std::fmt::Debug for InspectingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InspectingError")
    }
}

impl std::fmt::Display for InspectingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let credential = self.0.lock().unwrap().clone();
        let closed = credential.map(|credential| credential.is_closed());
        write!(f, "token service down (credential closed: {closed:?})")
    }
}

impl std::error::Error for InspectingError {}

#[test]
fn a_refresher_error_is_formatted_without_any_credential_lock_held() {
    // The credential logs the refresher error's `Display` text. Were that text made under the
    // credential's lock, this `Display` (which takes the lock) would deadlock the background
    // task, and every caller with it. Run on a thread of its own so a deadlock fails the test.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let slot: Arc<Mutex<Option<CommunicationTokenCredential>>> = Arc::default();
        let refresher_slot = slot.clone();
        let options = CommunicationTokenRefreshOptions::new(move || {
            let error = InspectingError(refresher_slot.clone());
            async move { Err::<String, _>(error) }
        });
        let credential = CommunicationTokenCredential::with_refresh(options);
        *slot.lock().unwrap() = Some(credential.clone());
        let result = runtime.block_on(credential.get_token());
        let cause = result
            .err()
            .and_then(|error| error.refresher_error().map(ToString::to_string));
        slot.lock().unwrap().take();
        let _ = done.send(cause);
    });
    let cause = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("the credential deadlocked formatting its refresher's error");
    assert_eq!(
        cause.as_deref(),
        Some("token service down (credential closed: Some(false))")
    );
}

#[derive(Debug)]
struct HandWritten(Calls);

#[async_trait::async_trait]
impl TokenRefresher for HandWritten {
    async fn refresh(&self) -> Result<RefreshedToken, BoxError> {
        self.0.record();
        let token: AccessToken = TokenBuilder::new().build().parse()?;
        Ok(token.into())
    }
}

#[tokio::test]
async fn refreshers_of_every_shape_are_accepted() {
    let calls = Calls::new();
    let credential = CommunicationTokenCredential::with_refresh(
        CommunicationTokenRefreshOptions::new(HandWritten(calls.clone())),
    );
    credential.get_token().await.unwrap();
    assert_eq!(calls.count(), 1);
    // A closure returning an AccessToken with an explicit expiry (an opaque token).
    let expires = time::OffsetDateTime::now_utc() + Duration::from_secs(3600);
    let credential =
        CommunicationTokenCredential::with_refresh(CommunicationTokenRefreshOptions::new(
            move || async move { Ok::<_, std::io::Error>(AccessToken::new("opaque", expires)) },
        ));
    assert_eq!(credential.get_token().await.unwrap().token(), "opaque");
    // A closure with a boxed error.
    let credential = CommunicationTokenCredential::with_refresh(
        CommunicationTokenRefreshOptions::new(|| async { Err::<String, BoxError>("no".into()) }),
    );
    assert!(matches!(
        credential.get_token().await,
        Err(CredentialError::Refresher(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn undecodable_tokens_are_errors_unless_a_fallback_lifetime_is_set() {
    let encrypted = TokenBuilder::new()
        .malformed(Malformation::FiveParts)
        .build();
    let returned = encrypted.clone();
    let strict = CommunicationTokenRefreshOptions::new(move || {
        let token = returned.clone();
        async move { Ok::<_, ServiceDown>(token) }
    })
    .wall_clock(clock());
    let lenient = strict.clone().fallback_lifetime(10 * MINUTE);
    let error = CommunicationTokenCredential::with_refresh(strict)
        .get_token()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            CredentialError::InvalidToken(acs_token::TokenError::Encrypted)
        ),
        "{error:?}"
    );
    let clock = clock();
    let lenient = lenient.wall_clock(clock.clone());
    let token = CommunicationTokenCredential::with_refresh(lenient)
        .get_token()
        .await
        .unwrap();
    assert_eq!(token.token(), encrypted);
    assert_eq!(token.expires_on(), clock.now_utc() + 10 * MINUTE);
}

/// The cached path keeps a few tokens per thread: with more credentials than that used in turn
/// on one thread, each still gets its own token, a refreshed one its new token, a closed one
/// an error, and a credential made after another was dropped never gets the dropped one's.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn many_credentials_on_one_thread_each_get_their_own_current_token() {
    let clock = clock();
    let mut credentials: Vec<_> = (0..10)
        .map(|_| {
            let token = jwt(&clock, 60 * MINUTE);
            (
                CommunicationTokenCredential::from_token(&token).unwrap(),
                token,
            )
        })
        .collect();
    for _ in 0..20 {
        for (credential, token) in &credentials {
            assert_eq!(credential.get_token().await.unwrap().token(), token);
        }
    }

    credentials[3].0.close();
    drop(credentials.remove(5));
    credentials.push({
        let token = jwt(&clock, 30 * MINUTE);
        (
            CommunicationTokenCredential::from_token(&token).unwrap(),
            token,
        )
    });
    for _ in 0..20 {
        for (index, (credential, token)) in credentials.iter().enumerate() {
            match credential.get_token().await {
                Ok(served) => assert_eq!(served.token(), token),
                Err(error) => assert!(index == 3 && matches!(error, CredentialError::Closed)),
            }
        }
    }

    // A refreshing credential among them, past its refresh window, serves its new token.
    let calls = Calls::default();
    let refreshing = CommunicationTokenCredential::with_refresh(
        CommunicationTokenRefreshOptions::new(fresh_tokens_refresher(&clock, &calls, 10 * MINUTE))
            .wall_clock(clock.clone()),
    );
    let first = refreshing.get_token().await.unwrap();
    for (credential, _) in &credentials[..4] {
        let _ = credential.get_token().await;
    }
    assert_eq!(refreshing.get_token().await.unwrap(), first);
    sleep(9 * MINUTE).await;
    let second = refreshing.get_token().await.unwrap();
    assert_eq!(second, first, "served while the refresh runs");
    // The background task publishes the new token within a few polls (no time passes).
    let mut third = second;
    for _ in 0..10 {
        tokio::task::yield_now().await;
        third = refreshing.get_token().await.unwrap();
        if third != first {
            break;
        }
    }
    assert_ne!(third, first, "the new token, not the thread's cached one");
    assert_eq!(calls.count(), 2);
}
