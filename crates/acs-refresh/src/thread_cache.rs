//! Per-thread copies of the tokens a thread was last served, so that the cached path reads no
//! shared state but one atomic stamp.
//!
//! Every published [`Snapshot`](crate::snapshot::Snapshot) of every credential gets a stamp
//! that is unique in the process. A thread caches a token under the stamp that was current
//! when it loaded the snapshot; the entry is served only while the credential's stamp still
//! has that value, so a refresh, a change of the hot-path deadline, `close()` or dropping the
//! credential (each of which changes or clears the stamp) makes every thread's entry unusable
//! at once. Stale entries still hold a reference to an old token until the thread replaces
//! them (at its next cache miss, stale entries go first) or exits: at most [`ENTRIES`] tokens
//! per thread.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use time::OffsetDateTime;

use crate::clock::Clock;
use crate::snapshot::ALWAYS;

/// Tokens cached per thread. A thread that uses more credentials than this in turn falls back
/// to the shared path (an `ArcSwap` load) for some of its calls.
const ENTRIES: usize = 4;

/// When every entry is live, a miss replaces one only this often, so that a thread using more
/// credentials than [`ENTRIES`] in turn does not churn its cache on every call (each
/// replacement costs reference-count updates on cache lines shared with other threads), while
/// a credential that becomes the thread's busiest still gets an entry soon.
const EVICT_EVERY: u32 = 8;

/// The stamp of no snapshot: the value of a dropped credential's stamp and of an empty entry.
const NO_STAMP: u64 = 0;

/// A credential's current stamp, shared (read-mostly) by the credential and the thread caches
/// that hold its tokens.
#[derive(Debug)]
pub(crate) struct Stamp(AtomicU64);

impl Stamp {
    /// A stamp with a fresh value.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Stamp(AtomicU64::new(next_stamp())))
    }

    /// The current value; acquires the snapshot published with it.
    #[inline]
    pub(crate) fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Gives the stamp a fresh value, after a new snapshot was stored (under the credential's
    /// state lock, so values follow the order of publication).
    pub(crate) fn renew(&self) {
        self.0.store(next_stamp(), Ordering::Release);
    }

    /// Marks the credential as gone: no entry matches it any more.
    pub(crate) fn clear(&self) {
        self.0.store(NO_STAMP, Ordering::Release);
    }
}

/// A process-wide counter: 2^64 publications do not happen, so values are never reused.
fn next_stamp() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(NO_STAMP + 1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A token in parts: the text and the expiry are handed out separately, and the caller builds
/// the `AccessToken` where it returns it. (Handed out whole, wrapped in an `Option`, an
/// `AccessToken` is copied through several temporaries whose tag shares a word with the
/// expiry's time of day; those partial-word copies stall store forwarding and used to cost
/// more than the rest of the cached path.)
struct Entry {
    stamp: u64,
    /// The snapshot's `hot_until`.
    hot_until: u64,
    /// The credential's stamp cell, to tell a stale entry without a reference to the credential.
    owner: Option<Arc<Stamp>>,
    token: Option<Arc<str>>,
    expires_on: OffsetDateTime,
}

impl Entry {
    const EMPTY: Entry = Entry {
        stamp: NO_STAMP,
        hot_until: 0,
        owner: None,
        token: None,
        expires_on: OffsetDateTime::UNIX_EPOCH,
    };

    fn is_stale(&self) -> bool {
        self.owner
            .as_ref()
            .is_none_or(|owner| owner.current() != self.stamp)
    }
}

struct ThreadCache {
    entries: [Entry; ENTRIES],
    /// The entry to replace when none is stale (round robin).
    next_victim: usize,
    /// Misses that found every entry live, since the last replacement of a live entry.
    live_misses: u32,
}

thread_local! {
    static CACHE: RefCell<ThreadCache> = const {
        RefCell::new(ThreadCache {
            entries: [Entry::EMPTY, Entry::EMPTY, Entry::EMPTY, Entry::EMPTY],
            next_victim: 0,
            live_misses: 0,
        })
    };
}

/// The token this thread cached under `stamp`, checked against its deadline with one coarse
/// clock read (none for a fixed token): its text, with its expiry written to `expires_on`.
/// `None` with `missing` set: nothing is cached under `stamp`; `None` otherwise: the cached
/// token is past its hot-path deadline.
#[inline]
pub(crate) fn get(
    stamp: u64,
    clock: &Clock,
    expires_on: &mut OffsetDateTime,
    missing: &mut bool,
) -> Option<Arc<str>> {
    CACHE
        .try_with(|cache| {
            let cache = cache.borrow();
            let Some(entry) = cache.entries.iter().find(|entry| entry.stamp == stamp) else {
                *missing = true;
                return None;
            };
            if entry.hot_until == ALWAYS || clock.coarse_now() < entry.hot_until {
                *expires_on = entry.expires_on;
                entry.token.clone()
            } else {
                None
            }
        })
        .unwrap_or_else(|_| {
            // The thread is exiting and its cache is gone.
            *missing = true;
            None
        })
}

/// Caches a token, of the snapshot published under `stamp` of `owner`, on this thread.
/// Replaces a stale entry if there is one, else (now and then) the next in turn.
pub(crate) fn insert(
    owner: &Arc<Stamp>,
    stamp: u64,
    hot_until: u64,
    token: &Arc<str>,
    expires_on: OffsetDateTime,
) {
    // A thread that is exiting has no cache; nothing to do.
    let _ = CACHE.try_with(|cache| {
        let Ok(mut cache) = cache.try_borrow_mut() else {
            return;
        };
        let cache = &mut *cache;
        let slot = match cache.entries.iter().position(Entry::is_stale) {
            Some(stale) => stale,
            None => {
                cache.live_misses += 1;
                if cache.live_misses < EVICT_EVERY {
                    return;
                }
                cache.live_misses = 0;
                let victim = cache.next_victim;
                cache.next_victim = (victim + 1) % ENTRIES;
                victim
            }
        };
        // Release every other stale entry's token too: they can never be served again.
        for entry in cache.entries.iter_mut().filter(|entry| entry.is_stale()) {
            *entry = Entry::EMPTY;
        }
        cache.entries[slot] = Entry {
            stamp,
            hot_until,
            owner: Some(Arc::clone(owner)),
            token: Some(Arc::clone(token)),
            expires_on,
        };
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(owner: &Stamp, clock: &Clock) -> Option<Arc<str>> {
        let mut expires_on = OffsetDateTime::UNIX_EPOCH;
        let mut missing = false;
        get(owner.current(), clock, &mut expires_on, &mut missing)
    }

    fn put(owner: &Arc<Stamp>, text: &str) {
        let token: Arc<str> = Arc::from(text);
        insert(
            owner,
            owner.current(),
            ALWAYS,
            &token,
            OffsetDateTime::UNIX_EPOCH,
        );
    }

    // Each test runs on a thread of its own, so it starts with an empty cache.

    #[test]
    fn an_entry_is_served_only_under_its_current_stamp_and_deadline() {
        let clock = Clock::System;
        let owner = Stamp::new();
        put(&owner, "first");
        assert_eq!(cached(&owner, &clock).as_deref(), Some("first"));
        owner.renew();
        assert_eq!(cached(&owner, &clock), None);
        let token: Arc<str> = Arc::from("second");
        let passed = clock.coarse_now() - 1;
        insert(
            &owner,
            owner.current(),
            passed,
            &token,
            OffsetDateTime::UNIX_EPOCH,
        );
        let mut missing = false;
        let mut expires_on = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(
            get(owner.current(), &clock, &mut expires_on, &mut missing),
            None
        );
        assert!(!missing, "past its deadline is not the same as missing");
        owner.clear();
        assert_eq!(cached(&owner, &clock), None);
    }

    #[test]
    fn stale_entries_are_released_first_and_live_ones_only_now_and_then() {
        let clock = Clock::System;
        let owners: Vec<_> = (0..ENTRIES).map(|_| Stamp::new()).collect();
        let tokens: Vec<Arc<str>> = (0..ENTRIES).map(|i| Arc::from(format!("t{i}"))).collect();
        for (owner, token) in owners.iter().zip(&tokens) {
            insert(
                owner,
                owner.current(),
                ALWAYS,
                token,
                OffsetDateTime::UNIX_EPOCH,
            );
        }
        let newcomer = Stamp::new();
        for _ in 1..EVICT_EVERY {
            put(&newcomer, "new");
            assert_eq!(cached(&newcomer, &clock), None, "every entry is live");
        }
        put(&newcomer, "new");
        assert_eq!(cached(&newcomer, &clock).as_deref(), Some("new"));
        let served = owners
            .iter()
            .filter(|owner| cached(owner, &clock).is_some())
            .count();
        assert_eq!(served, ENTRIES - 1);

        // A refreshed owner's old token is dropped at the next insert, whoever makes it.
        let kept = owners
            .iter()
            .position(|owner| cached(owner, &clock).is_some())
            .unwrap();
        assert_eq!(Arc::strong_count(&tokens[kept]), 2);
        owners[kept].renew();
        put(&Stamp::new(), "other");
        assert_eq!(Arc::strong_count(&tokens[kept]), 1, "stale token released");
    }
}
