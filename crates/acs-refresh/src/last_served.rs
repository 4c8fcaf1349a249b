//! The token each thread was last served, so that the cached path reads no shared state but
//! one atomic number and writes none.
//!
//! Each publication of a snapshot gets a number unique in the process; a thread keeps its own
//! copy of the token it was served under that number, and serves it again while the
//! credential's current number is still the same. A refresh, a change of the hot-path
//! deadline and `close()` each publish, which makes every thread's copy unusable at once. A
//! thread holds one copy (of the last credential it got a token from) until its next miss or
//! its exit.
//!
//! Measured (`benches/get_token.rs`, cached refreshing token, median), each piece kept only
//! for what it bought:
//! - without the thread's copy, the cached path loads the published snapshot through
//!   `ArcSwap` (two more atomic read-modify-writes): 55 ns per call instead of 27, over the
//!   40 ns budget;
//! - with the copy sharing the snapshot's text, two threads bump one reference count: in two
//!   runs out of four 115 to 180 ns per call on two threads (27 ns on one), over twice the
//!   one-thread time; with the text copied per thread, 26 ns on two threads in every run. The
//!   price: a miss allocates a copy (a thread alternating between eight credentials pays
//!   73 ns per call instead of 55).

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use time::OffsetDateTime;

use crate::clock::Clock;
use crate::snapshot::{Hot, Snapshot};

/// The number of the snapshot a credential currently publishes.
#[derive(Debug)]
pub(crate) struct Publication(AtomicU64);

impl Publication {
    pub(crate) fn new() -> Self {
        Publication(AtomicU64::new(next_number()))
    }

    /// The current number; acquires the snapshot published with it (or a later one).
    #[inline]
    pub(crate) fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Gives the credential a fresh number, right after it stored a new snapshot (under its
    /// state lock, so numbers follow the order of publication).
    pub(crate) fn renew(&self) {
        self.0.store(next_number(), Ordering::Release);
    }
}

/// A process-wide counter: 2^64 publications do not happen, so a number is never reused and a
/// thread's copy can never be taken for another credential's.
fn next_number() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A thread's copy of a token. The text is the thread's own allocation (see the module docs).
struct Served {
    publication: u64,
    hot: Hot,
    text: Arc<str>,
    expires_on: OffsetDateTime,
}

thread_local! {
    static LAST_SERVED: RefCell<Option<Served>> = const { RefCell::new(None) };
}

/// The token to serve without the slow path, if any, as its text with its expiry written to
/// `expires_on`: this thread's copy when it belongs to the current `publication`, else (and
/// then copied for this thread) the token of the snapshot `current` publishes.
///
/// The token comes in parts because returned whole, wrapped in an `Option`, an `AccessToken`
/// is copied through temporaries whose tag shares a word with the expiry; those partial-word
/// copies stall store forwarding (measured: 35 ns per cached call instead of 25).
#[inline]
pub(crate) fn fresh_token(
    publication: &Publication,
    clock: &Clock,
    current: &ArcSwap<Snapshot>,
    expires_on: &mut OffsetDateTime,
) -> Option<Arc<str>> {
    let number = publication.current();
    LAST_SERVED
        .try_with(|last| {
            if let Ok(last) = last.try_borrow()
                && let Some(served) = last.as_ref()
                && served.publication == number
            {
                if !is_hot(served.hot, clock) {
                    return None;
                }
                *expires_on = served.expires_on;
                return Some(Arc::clone(&served.text));
            }
            miss(last, number, clock, current, expires_on)
        })
        // The thread is exiting and its copy is gone: serve from the snapshot itself.
        .unwrap_or_else(|_| {
            let snapshot = current.load();
            let token = snapshot.token().filter(|_| is_hot(snapshot.hot, clock))?;
            *expires_on = token.expires_on();
            Some(Arc::clone(token.shared_token()))
        })
}

/// Copies the published snapshot's token for this thread. That snapshot is the one numbered
/// `number` or a later one (whose own number does not match the copy, so the copy is replaced
/// at the next call).
#[inline(never)]
fn miss(
    last: &RefCell<Option<Served>>,
    number: u64,
    clock: &Clock,
    current: &ArcSwap<Snapshot>,
    expires_on: &mut OffsetDateTime,
) -> Option<Arc<str>> {
    let snapshot = current.load();
    let token = snapshot.token()?;
    let served = Served {
        publication: number,
        hot: snapshot.hot,
        text: Arc::from(token.token()),
        expires_on: token.expires_on(),
    };
    drop(snapshot);
    let result = is_hot(served.hot, clock).then(|| {
        *expires_on = served.expires_on;
        Arc::clone(&served.text)
    });
    if let Ok(mut last) = last.try_borrow_mut() {
        *last = Some(served);
    }
    result
}

#[inline]
fn is_hot(hot: Hot, clock: &Clock) -> bool {
    match hot {
        Hot::Always => true,
        Hot::Until(deadline) => clock.coarse_now() < deadline,
        Hot::Never => false,
    }
}
