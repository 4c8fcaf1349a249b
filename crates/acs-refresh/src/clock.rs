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

/// The hot path hands over to the slow path this long before the refresh window opens, so that
/// a coarse clock lagging the true time by up to one tick (4 ms at 250 Hz, 10 ms at 100 Hz)
/// never serves a token past the deadline the slow path decides on with the precise clock.
pub(crate) const COARSE_MARGIN: Duration = Duration::from_millis(50);

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

    /// The hot path's clock read: wall-clock nanoseconds since the Unix epoch (0 before it).
    ///
    /// The system clock is read coarsely (`CLOCK_REALTIME_COARSE` where the platform has it):
    /// still wall-clock time, so a clock set forward or a machine resuming from suspend is
    /// seen at once, and its resolution (one tick) is covered by [`COARSE_MARGIN`]. Measured
    /// (`benches/get_token.rs`, 2-vCPU VM): a precise read costs 18 ns, a coarse one 6 ns;
    /// with the precise clock a cached `get_token` took 43 ns, over its 40 ns budget.
    #[inline]
    pub(crate) fn coarse_now(&self) -> u64 {
        match self {
            Clock::System => system_coarse_now(),
            #[cfg(feature = "test-util")]
            Clock::Custom(clock) => nanos_since_epoch(clock.now()),
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
#[inline]
fn system_coarse_now() -> u64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
    let (Ok(secs), Ok(nanos)) = (u64::try_from(now.tv_sec), u64::try_from(now.tv_nsec)) else {
        return 0;
    };
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
#[inline]
fn system_coarse_now() -> u64 {
    nanos_since_epoch(SystemTime::now())
}

/// Nanoseconds since the Unix epoch: 0 before it, `u64::MAX` from the year 2554 on.
pub(crate) fn nanos_since_epoch(instant: SystemTime) -> u64 {
    instant
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarse_system_clock_reads_the_wall_clock_within_its_resolution() {
        let before = nanos_since_epoch(SystemTime::now());
        let coarse = Clock::System.coarse_now();
        let after = nanos_since_epoch(SystemTime::now());
        let margin = u64::try_from(COARSE_MARGIN.as_nanos()).unwrap();
        // A coarse clock lags by up to one tick, far less than the margin; it never leads.
        assert!(coarse <= after, "{coarse} > {after}");
        assert!(
            coarse + margin >= before,
            "{coarse} lags {before} by more than the margin"
        );
    }

    #[test]
    fn nanos_since_epoch_saturates() {
        assert_eq!(
            nanos_since_epoch(SystemTime::UNIX_EPOCH - Duration::from_secs(1)),
            0
        );
        assert_eq!(nanos_since_epoch(far_future()), u64::MAX);
        assert_eq!(
            nanos_since_epoch(SystemTime::UNIX_EPOCH + Duration::new(2, 5)),
            2_000_000_005
        );
    }

    #[test]
    fn conversions_round_trip_and_saturate_at_the_edges() {
        let instant = OffsetDateTime::UNIX_EPOCH + time::Duration::new(1_900_000_000, 5);
        assert_eq!(to_offset_date_time(to_system_time(instant)), instant);
        let before_epoch = OffsetDateTime::UNIX_EPOCH - time::Duration::days(1);
        assert_eq!(
            to_offset_date_time(to_system_time(before_epoch)),
            before_epoch
        );
        let last = time::macros::datetime!(9999-12-31 23:59:59 UTC);
        assert_eq!(to_system_time(last), far_future());
    }
}
