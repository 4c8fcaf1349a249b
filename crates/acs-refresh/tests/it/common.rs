//! Shared helpers: a paused-time wall clock, tokens minted against it, counting refreshers.
#![allow(dead_code, unreachable_pub)]

use std::future::{Ready, ready};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use acs_refresh::test_util::TokioClock;
use acs_token::test_util::TokenBuilder;
use time::macros::datetime;

pub const MINUTE: Duration = Duration::from_secs(60);

/// A wall clock starting at 2030-01-01T00:00Z that moves with Tokio's (paused) clock.
pub fn clock() -> TokioClock {
    TokioClock::starting_at(datetime!(2030-01-01 0:00 UTC))
}

/// A JWT expiring `lifetime` after the clock's current time.
pub fn jwt(clock: &TokioClock, lifetime: Duration) -> String {
    TokenBuilder::new()
        .expires_on(clock.now_utc() + lifetime)
        .build()
}

/// Records when (on Tokio's clock, since creation) each refresher call started.
#[derive(Clone, Debug)]
pub struct Calls {
    start: tokio::time::Instant,
    times: Arc<Mutex<Vec<Duration>>>,
    count: Arc<AtomicUsize>,
}

impl Default for Calls {
    fn default() -> Self {
        Self::new()
    }
}

impl Calls {
    pub fn new() -> Self {
        Calls {
            start: tokio::time::Instant::now(),
            times: Arc::default(),
            count: Arc::default(),
        }
    }

    /// Records a call; returns its 1-based number.
    pub fn record(&self) -> usize {
        self.times.lock().unwrap().push(self.start.elapsed());
        self.count.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    pub fn times(&self) -> Vec<Duration> {
        self.times.lock().unwrap().clone()
    }
}

/// A refresher that records each call on `calls` and returns a JWT expiring `lifetime` after
/// `clock`'s time of the call.
pub fn fresh_tokens_refresher(
    clock: &TokioClock,
    calls: &Calls,
    lifetime: Duration,
) -> impl Fn() -> Ready<Result<String, ServiceDown>> + Send + Sync + 'static {
    let (clock, calls) = (clock.clone(), calls.clone());
    move || {
        calls.record();
        ready(Ok(jwt(&clock, lifetime)))
    }
}

/// Like [`fresh_tokens_refresher`] while `healthy` is set; while it is not, each call fails
/// with `ServiceDown(<the call's 1-based number>)`.
pub fn healthy_flag_refresher(
    clock: &TokioClock,
    calls: &Calls,
    healthy: &Arc<AtomicBool>,
    lifetime: Duration,
) -> impl Fn() -> Ready<Result<String, ServiceDown>> + Send + Sync + 'static {
    let (clock, calls, healthy) = (clock.clone(), calls.clone(), Arc::clone(healthy));
    move || {
        let call = calls.record();
        ready(if healthy.load(Ordering::SeqCst) {
            Ok(jwt(&clock, lifetime))
        } else {
            Err(ServiceDown(call))
        })
    }
}

/// A refresher error type of the test's own.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("token service unavailable ({0})")]
pub struct ServiceDown(pub usize);

/// Set in the child process that [`in_own_process`] starts.
const ISOLATED: &str = "ACS_REFRESH_TEST_IN_OWN_PROCESS";

/// Runs the test `name` (its path in this binary, such as `memory::some_test`) alone, in a
/// child process of this test binary, for tests that observe something process-wide (the heap,
/// `tracing`'s per-call-site caches) which tests running in parallel would disturb.
///
/// Returns `true` in the child, where the caller goes on with the test, and `false` in the
/// parent once the child passed (the parent's test then returns at once).
pub fn in_own_process(name: &str) -> bool {
    if std::env::var_os(ISOLATED).is_some() {
        return true;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env(ISOLATED, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{name} failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "{name} did not run:\n{stdout}\n{stderr}"
    );
    false
}
