//! The published token and its precomputed deadlines: everything the hot path reads.

use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use acs_token::AccessToken;

use crate::clock::{COARSE_MARGIN, far_future, nanos_since_epoch, to_system_time};

/// Proactive refresh starts this long before expiry.
pub(crate) const PROACTIVE_WINDOW: Duration = Duration::from_secs(10 * 60);
/// A token with less than this left is refreshed when a caller asks for it.
pub(crate) const ON_DEMAND_WINDOW: Duration = Duration::from_secs(2 * 60);
/// Two refreshes of the same short-lived token are never closer than this.
pub(crate) const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// [`Snapshot::hot_until`] of a token the hot path always serves (a fixed token).
pub(crate) const ALWAYS: u64 = u64::MAX;
/// [`Snapshot::hot_until`] of a snapshot the hot path never serves.
const NEVER: u64 = 0;

/// At most this many copies of the token text, one per group of threads (a power of two).
const MAX_REPLICAS: usize = 8;

/// One published state of the credential. Immutable: a new token publishes a new snapshot.
#[derive(Debug)]
pub(crate) struct Snapshot {
    /// The hot path serves the token while the coarse wall clock reads before this, in
    /// nanoseconds since the Unix epoch: [`COARSE_MARGIN`] before `window_start`, [`ALWAYS`]
    /// for a fixed token, or [`NEVER`] when the slow path must run first (no token, closed, or
    /// a proactive credential whose background task is not running).
    pub(crate) hot_until: u64,
    /// From here on, a caller's request starts a refresh.
    pub(crate) window_start: SystemTime,
    /// From here on, the background task of a proactive credential refreshes.
    pub(crate) proactive_at: SystemTime,
    /// The token's expiry; from here on, callers wait for a new token.
    pub(crate) expires_at: SystemTime,
    /// Copies of the same token, each its own allocation (and so its own reference count):
    /// threads clone different copies, so they do not contend on one counter's cache line.
    /// Empty when there is no token.
    replicas: Box<[AccessToken]>,
}

impl Snapshot {
    /// No token (yet, or any more).
    pub(crate) fn empty() -> Self {
        Snapshot {
            hot_until: NEVER,
            window_start: SystemTime::UNIX_EPOCH,
            proactive_at: SystemTime::UNIX_EPOCH,
            expires_at: SystemTime::UNIX_EPOCH,
            replicas: Box::new([]),
        }
    }

    /// A token that is never refreshed and is served even once expired.
    pub(crate) fn fixed(token: AccessToken) -> Self {
        let expires_at = to_system_time(token.expires_on());
        Snapshot {
            hot_until: ALWAYS,
            window_start: far_future(),
            proactive_at: far_future(),
            expires_at,
            replicas: replicate(token),
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
            hot_until: if fast_path {
                hot_deadline(window_start)
            } else {
                NEVER
            },
            window_start,
            proactive_at,
            expires_at,
            replicas: replicate(token),
        }
    }

    /// The same token, with the hot path enabled or disabled.
    pub(crate) fn with_fast_path(&self, fast_path: bool) -> Self {
        Snapshot {
            hot_until: if fast_path && !self.replicas.is_empty() {
                hot_deadline(self.window_start)
            } else {
                NEVER
            },
            window_start: self.window_start,
            proactive_at: self.proactive_at,
            expires_at: self.expires_at,
            replicas: self.replicas.clone(),
        }
    }

    /// This thread's copy of the token. Only call when the snapshot has a token.
    #[inline]
    pub(crate) fn replica(&self) -> &AccessToken {
        let index = thread_replica_index() & (self.replicas.len() - 1);
        &self.replicas[index]
    }

    /// The token, if there is one.
    pub(crate) fn token(&self) -> Option<&AccessToken> {
        self.replicas.first()
    }

    /// The token, if there is one and it has not expired at `now`.
    pub(crate) fn unexpired(&self, now: SystemTime) -> Option<AccessToken> {
        self.token().filter(|_| now < self.expires_at).cloned()
    }
}

/// The hot path's deadline for a refresh window starting at `window_start`.
fn hot_deadline(window_start: SystemTime) -> u64 {
    let margin = u64::try_from(COARSE_MARGIN.as_nanos()).unwrap_or(u64::MAX);
    nanos_since_epoch(window_start).saturating_sub(margin)
}

fn add(instant: SystemTime, duration: Duration) -> SystemTime {
    instant.checked_add(duration).unwrap_or_else(far_future)
}

fn sub(instant: SystemTime, duration: Duration) -> SystemTime {
    instant
        .checked_sub(duration)
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// How many copies of a token to keep: the machine's parallelism rounded up to a power of two,
/// at most [`MAX_REPLICAS`].
fn replica_count() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(MAX_REPLICAS)
            .next_power_of_two()
    })
}

fn replicate(token: AccessToken) -> Box<[AccessToken]> {
    let count = replica_count();
    let mut replicas = Vec::with_capacity(count);
    for _ in 1..count {
        replicas.push(AccessToken::new(token.token(), token.expires_on()));
    }
    replicas.insert(0, token);
    replicas.into_boxed_slice()
}

/// A small per-thread number, handed out round-robin, that picks this thread's replica.
#[inline]
fn thread_replica_index() -> usize {
    thread_local! {
        static INDEX: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    INDEX.with(|index| {
        let current = index.get();
        if current != usize::MAX {
            return current;
        }
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let assigned = NEXT.fetch_add(1, Ordering::Relaxed) % MAX_REPLICAS;
        index.set(assigned);
        assigned
    })
}
