//! The wall clock token expiry is measured against.

use std::time::{Duration, SystemTime};

use time::OffsetDateTime;

/// A source of wall-clock time (feature `test-util`).
///
/// Token expiry is wall-clock time (`exp` is Unix time), while Tokio's timers are monotonic. A
/// test that pauses Tokio's clock must move the credential's wall clock with it: use
/// [`TokioClock`](crate::test_util::TokioClock) or implement this for a clock of your own.
#[cfg(feature = "test-util")]
pub trait WallClock: Send + Sync + std::fmt::Debug + 'static {
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;
}

/// The credential's clock: the system's wall clock, or an injected one in tests.
#[derive(Debug, Clone, Default)]
pub(crate) enum Clock {
    #[default]
    System,
    #[cfg(feature = "test-util")]
    Custom(std::sync::Arc<dyn WallClock>),
}

impl Clock {
    #[inline]
    pub(crate) fn now(&self) -> SystemTime {
        match self {
            Clock::System => SystemTime::now(),
            #[cfg(feature = "test-util")]
            Clock::Custom(clock) => clock.now(),
        }
    }
}

/// Far enough in the future to mean "never" (the year 9999 is the end of `exp`'s range).
pub(crate) fn far_future() -> SystemTime {
    SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(253_402_300_799))
        .unwrap_or(SystemTime::UNIX_EPOCH + Duration::from_secs(u32::MAX as u64))
}

/// Converts without panicking: instants outside what `SystemTime` holds on this platform
/// saturate to the epoch (the past) or to [`far_future`].
pub(crate) fn to_system_time(instant: OffsetDateTime) -> SystemTime {
    let since_epoch = instant - OffsetDateTime::UNIX_EPOCH;
    if since_epoch.is_negative() {
        let before = Duration::try_from(-since_epoch).unwrap_or(Duration::MAX);
        SystemTime::UNIX_EPOCH
            .checked_sub(before)
            .unwrap_or(SystemTime::UNIX_EPOCH)
    } else {
        let after = Duration::try_from(since_epoch).unwrap_or(Duration::MAX);
        SystemTime::UNIX_EPOCH
            .checked_add(after)
            .unwrap_or_else(far_future)
    }
}

/// Converts without panicking, saturating at the edges of `OffsetDateTime`'s range.
pub(crate) fn to_offset_date_time(instant: SystemTime) -> OffsetDateTime {
    let result = match instant.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => time::Duration::try_from(after)
            .ok()
            .and_then(|after| OffsetDateTime::UNIX_EPOCH.checked_add(after)),
        Err(before) => time::Duration::try_from(before.duration())
            .ok()
            .and_then(|before| OffsetDateTime::UNIX_EPOCH.checked_sub(before)),
    };
    result.unwrap_or(if instant < SystemTime::UNIX_EPOCH {
        OffsetDateTime::UNIX_EPOCH - time::Duration::days(365 * 9999)
    } else {
        OffsetDateTime::UNIX_EPOCH + time::Duration::days(365 * 8000)
    })
}
