//! Deterministic time and background-task observation for tests (feature `test-util`).
//!
//! Tokio's paused clock (`#[tokio::test(start_paused = true)]`) moves `tokio::time::Instant`
//! but not `SystemTime`, while token expiry is wall-clock time. [`TokioClock`] is a wall clock
//! derived from Tokio's clock, so both move together:
//!
//! ```
//! use std::time::Duration;
//! use acs_refresh::test_util::TokioClock;
//! use acs_refresh::{CommunicationTokenCredential, CommunicationTokenRefreshOptions};
//! use acs_token::test_util::TokenBuilder;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), acs_refresh::CredentialError> {
//! let clock = TokioClock::starting_at(time::macros::datetime!(2030-01-01 0:00 UTC));
//! let minted_by = clock.clone();
//! let options = CommunicationTokenRefreshOptions::new(move || {
//!     let expires = minted_by.now_utc() + Duration::from_secs(3600);
//!     async move { Ok::<_, std::io::Error>(TokenBuilder::new().expires_on(expires).build()) }
//! })
//! .wall_clock(clock.clone());
//! let credential = CommunicationTokenCredential::with_refresh(options);
//!
//! let first = credential.get_token().await?;
//! tokio::time::sleep(Duration::from_secs(3600)).await; // instant: the clock is paused
//! let second = credential.get_token().await?;
//! assert!(second.expires_on() > first.expires_on());
//! # Ok(())
//! # }
//! ```

use std::sync::Weak;
use std::time::SystemTime;

use time::OffsetDateTime;

pub use crate::clock::WallClock;
use crate::clock::{to_offset_date_time, to_system_time};

/// A wall clock that starts at a chosen instant and advances with Tokio's clock, paused or not.
#[derive(Debug, Clone)]
pub struct TokioClock {
    start_wall: SystemTime,
    start: tokio::time::Instant,
}

impl TokioClock {
    /// A clock reading `wall` now (now being `tokio::time::Instant::now()`).
    pub fn starting_at(wall: OffsetDateTime) -> Self {
        TokioClock {
            start_wall: to_system_time(wall),
            start: tokio::time::Instant::now(),
        }
    }

    /// The current time of this clock.
    pub fn now_utc(&self) -> OffsetDateTime {
        to_offset_date_time(self.now())
    }
}

impl WallClock for TokioClock {
    fn now(&self) -> SystemTime {
        self.start_wall + self.start.elapsed()
    }
}

/// Tells whether a credential's background task is still running; see
/// [`CommunicationTokenCredential::background_task`](crate::CommunicationTokenCredential::background_task).
///
/// It watches the task that was running when it was made, and holds no reference to the
/// credential.
#[derive(Debug, Clone)]
pub struct BackgroundTaskProbe {
    alive: Weak<()>,
}

impl BackgroundTaskProbe {
    pub(crate) fn new(alive: Weak<()>) -> Self {
        BackgroundTaskProbe { alive }
    }

    /// Whether the task has started and not yet ended.
    pub fn is_running(&self) -> bool {
        self.alive.strong_count() > 0
    }
}

/// Captures everything `tracing` writes, at every level and with span-close events, while its
/// guard is alive: for tests that check no secret reaches a log line.
///
/// `tracing` caches per call site, process-wide, whether anyone listens; a test running in
/// parallel on a thread without a subscriber can make that "never" before this capture is
/// installed. Tests that must see events should run in a test binary of their own, or call
/// [`interest_in_every_callsite`] first.
///
/// ```
/// use acs_refresh::test_util::LogCapture;
///
/// let (logs, guard) = LogCapture::install();
/// tracing::warn!(attempt = 2, "refresh failed");
/// drop(guard);
/// assert!(logs.text().contains("refresh failed"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct LogCapture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LogCapture {
    /// Installs a capturing subscriber as this thread's default until the guard is dropped.
    pub fn install() -> (Self, tracing::subscriber::DefaultGuard) {
        let capture = LogCapture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        (capture, guard)
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Makes every `tracing` call site interesting to some subscriber (a global one that discards
/// everything, installed once per process), so that a [`LogCapture`] sees the events of call
/// sites that a test on another thread, without a subscriber, reached first: without a global
/// subscriber such a call site may cache "never interested" and stay silent for the capture.
pub fn interest_in_every_callsite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let sink = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(std::io::sink)
            .finish();
        let _ = tracing::subscriber::set_global_default(sink);
        tracing::callsite::rebuild_interest_cache();
    });
}

impl std::io::Write for LogCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
