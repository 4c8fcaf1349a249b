//! The published token and its precomputed deadlines: everything the hot path reads.

use std::time::{Duration, SystemTime};

use acs_token::AccessToken;

use crate::clock::{COARSE_MARGIN, far_future, nanos_since_epoch, to_system_time};

/// Proactive refresh starts this long before expiry.
pub(crate) const PROACTIVE_WINDOW: Duration = Duration::from_secs(10 * 60);
/// A token with less than this left is refreshed when a caller asks for it.
pub(crate) const ON_DEMAND_WINDOW: Duration = Duration::from_secs(2 * 60);
/// Two refreshes of the same short-lived token are never closer than this.
pub(crate) const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// When the hot path may serve a snapshot's token without taking the slow path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hot {
    /// Always, without reading the clock (a fixed token).
    Always,
    /// While the hot path's coarse wall clock reads before this many nanoseconds since the
    /// Unix epoch ([`COARSE_MARGIN`] before the refresh window opens).
    Until(u64),
    /// Never: the slow path must run first (no token, closed, or a proactive credential whose
    /// background task is not running).
    Never,
}

/// One published state of the credential. Immutable: a new token publishes a new snapshot.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) hot: Hot,
    /// From here on, a caller's request starts a refresh.
    pub(crate) window_start: SystemTime,
    /// From here on, the background task of a proactive credential refreshes.
    pub(crate) proactive_at: SystemTime,
    /// The token's expiry; from here on, callers wait for a new token.
    pub(crate) expires_at: SystemTime,
    token: Option<AccessToken>,
}

impl Snapshot {
    /// No token (yet, or any more).
    pub(crate) fn empty() -> Self {
        Snapshot {
            hot: Hot::Never,
            window_start: SystemTime::UNIX_EPOCH,
            proactive_at: SystemTime::UNIX_EPOCH,
            expires_at: SystemTime::UNIX_EPOCH,
            token: None,
        }
    }

    /// A token that is never refreshed and is served even once expired.
    pub(crate) fn fixed(token: AccessToken) -> Self {
        let expires_at = to_system_time(token.expires_on());
        Snapshot {
            hot: Hot::Always,
            window_start: far_future(),
            proactive_at: far_future(),
            expires_at,
            token: Some(token),
        }
    }

    /// A refreshable token that arrived at `now`. Deadlines are computed once, here, with
    /// saturating arithmetic, so any lifetime (a 400-day token, the year 9999) works.
    pub(crate) fn refreshable(token: AccessToken, now: SystemTime, fast_path: bool) -> Self {
        let expires_at = to_system_time(token.expires_on());
        let remaining = expires_at.duration_since(now).unwrap_or(Duration::ZERO);
        // Short-lived tokens are refreshed at half their remaining lifetime rather than at a
        // fixed lead that would already have passed.
        let proactive_at = if remaining > PROACTIVE_WINDOW {
            sub(expires_at, PROACTIVE_WINDOW)
        } else if remaining.is_zero() {
            now
        } else {
            add(now, (remaining / 2).max(MIN_REFRESH_INTERVAL))
        };
        let window_start = sub(expires_at, ON_DEMAND_WINDOW.min(remaining / 2));
        Snapshot {
            hot: if fast_path {
                hot_until(window_start)
            } else {
                Hot::Never
            },
            window_start,
            proactive_at,
            expires_at,
            token: Some(token),
        }
    }

    /// The same token, with the hot path enabled or disabled.
    pub(crate) fn with_fast_path(&self, fast_path: bool) -> Self {
        Snapshot {
            hot: if fast_path && self.token.is_some() {
                hot_until(self.window_start)
            } else {
                Hot::Never
            },
            window_start: self.window_start,
            proactive_at: self.proactive_at,
            expires_at: self.expires_at,
            token: self.token.clone(),
        }
    }

    /// The token, if there is one.
    pub(crate) fn token(&self) -> Option<&AccessToken> {
        self.token.as_ref()
    }

    /// The token, if there is one and it has not expired at `now`.
    pub(crate) fn unexpired(&self, now: SystemTime) -> Option<AccessToken> {
        self.token().filter(|_| now < self.expires_at).cloned()
    }
}

fn hot_until(window_start: SystemTime) -> Hot {
    let margin = u64::try_from(COARSE_MARGIN.as_nanos()).unwrap_or(u64::MAX);
    Hot::Until(nanos_since_epoch(window_start).saturating_sub(margin))
}

fn add(instant: SystemTime, duration: Duration) -> SystemTime {
    instant.checked_add(duration).unwrap_or_else(far_future)
}

fn sub(instant: SystemTime, duration: Duration) -> SystemTime {
    instant
        .checked_sub(duration)
        .unwrap_or(SystemTime::UNIX_EPOCH)
}
