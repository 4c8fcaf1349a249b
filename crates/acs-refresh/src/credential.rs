use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use acs_token::{AccessToken, TokenError};
use arc_swap::ArcSwap;
use time::OffsetDateTime;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use crate::clock::Clock;
use crate::driver;
use crate::error::CredentialError;
use crate::last_served::{self, Publication};
use crate::options::{CommunicationTokenRefreshOptions, RetryAfterHint};
use crate::refresher::TokenRefresher;
use crate::snapshot::Snapshot;

/// A credential that hands out ACS user access tokens: a fixed token, or one kept fresh by a
/// refresher you provide.
///
/// Cloning is cheap and clones share everything: the cached token, the single refresh in
/// flight, the background task. It is `Send + Sync` and works on any Tokio runtime flavour.
///
/// - [`get_token`](Self::get_token) on a valid cached token takes no lock, reads the wall
///   clock at most once and writes no memory shared with other threads; it allocates only the
///   first time a thread gets a given token.
/// - At most one refresher call is in flight, whoever asked for it; callers that still have an
///   unexpired token never wait for it, and a caller that drops its `get_token` future cancels
///   nothing.
/// - A failed refresh is retried with capped exponential backoff (1 s doubling to 5 min, with
///   jitter); meanwhile the current token is served while it has not expired, and callers
///   that need a new one get the last error at once.
/// - [`close`](Self::close) makes `get_token` fail with [`CredentialError::Closed`] and stops
///   the background task; dropping the last clone stops it too.
///
/// # Runtime
/// Refreshing needs a Tokio runtime with its time driver (any flavour). A credential can be
/// built outside one: its background task starts on the first `get_token` that needs it, on
/// the runtime of that call (or at construction, for a proactive credential built inside a
/// runtime). If that runtime shuts down (at any moment, even before the task first ran),
/// callers waiting for the task are released and the next call that needs a refresh starts a
/// new task on its own runtime. If that runtime stays alive but is no longer driven (its
/// thread blocks on something else), nothing polls the task, not even its refresher timeout.
/// A caller still never waits for a refresh longer than the refresher timeout plus one
/// second: by then, callers waiting for the stalled task get [`CredentialError::Timeout`],
/// and a new task starts on the runtime of one of them and refreshes at once for the callers
/// that come next. (The bound is kept by a timer on each waiting caller's own runtime, which
/// is driven while the caller awaits. It applies to each refresh a caller waits for: a caller
/// released because the task's runtime shut down waits again, for a new task.) Called outside
/// any runtime, or on a runtime that is shutting down,
/// `get_token` still returns a valid cached token, and fails with
/// [`CredentialError::NoRuntime`] when a refresh would be needed.
///
/// # Time
/// Token expiry is wall-clock time, so deadlines are wall-clock instants computed once per
/// token and compared against the wall clock on each call: a suspended machine or a clock
/// that jumps forward makes the credential refresh on the next call, never serve a token it
/// believes expired. Timers (proactive refresh) are monotonic and re-check the wall clock at
/// least every five minutes.
#[derive(Clone)]
pub struct CommunicationTokenCredential {
    inner: Arc<Inner>,
}

/// The state shared by all clones. The background task holds only a `Weak` to it.
pub(crate) struct Inner {
    /// The published token. Replace it only through [`Inner::publish`].
    pub(crate) current: ArcSwap<Snapshot>,
    /// Numbers the published snapshot for the threads' copies of its token; the hot path's
    /// only shared read.
    pub(crate) publication: Publication,
    pub(crate) clock: Clock,
    pub(crate) state: Mutex<State>,
    /// `None` for a fixed token.
    pub(crate) engine: Option<Engine>,
}

/// Refresh machinery of a refreshing credential.
pub(crate) struct Engine {
    pub(crate) refresher: Arc<dyn TokenRefresher>,
    pub(crate) proactive: bool,
    pub(crate) timeout: Duration,
    pub(crate) fallback_lifetime: Option<Duration>,
    pub(crate) retry_after_hint: Option<RetryAfterHint>,
    /// Shared with the background task, which holds no strong reference to [`Inner`].
    pub(crate) signals: Arc<Signals>,
    /// The outcome of the latest refresh attempt, for callers waiting on it. A watch cannot be
    /// missed: a waiter that subscribes after the result was sent still sees it.
    pub(crate) outcomes: watch::Sender<Outcome>,
}

/// How callers and the owner of the credential reach the background task.
#[derive(Debug)]
pub(crate) struct Signals {
    /// Set when the credential is closed or its last clone is dropped.
    pub(crate) stop: watch::Sender<bool>,
}

/// Bookkeeping of the refresh engine. Guarded by a `std` mutex that is never held across an
/// `.await` nor while the refresher runs.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) closed: bool,
    /// A background task was claimed and has not ended. Set by `Inner::claim_driver`, reset
    /// only by that task's guard, which exists from the claim on.
    pub(crate) driver_running: bool,
    /// Numbers the background tasks claimed so far. A task whose number is no longer this
    /// one was given up (its runtime is not being driven) and must not touch the state.
    pub(crate) driver_generation: u64,
    /// Wakes the current background task when a caller requests a refresh (`notify_one` keeps
    /// a permit, so no wake-up is lost). One per task: a task that was given up must not
    /// swallow its successor's wake-ups.
    pub(crate) driver_wake: Arc<Notify>,
    /// The outcome (epoch) and task (generation) each live watchdog watches, and the runtime
    /// it runs on: one per outcome and runtime with a caller waiting (see [`driver::Watchdog`]).
    pub(crate) watchdogs: Vec<((u64, u64), tokio::runtime::Id)>,
    /// Dropped by the background task when it ends (observable in tests).
    pub(crate) driver_alive: Weak<()>,
    /// A refresh was requested or is running.
    pub(crate) pending: bool,
    /// A caller requested a refresh that the background task has not started yet.
    pub(crate) demand: bool,
    /// Counts published outcomes; waiters wait for a larger value.
    pub(crate) epoch: u64,
    pub(crate) consecutive_failures: u32,
    /// After a failure: no new attempt before this instant, and the error to give callers
    /// that need a new token until then.
    pub(crate) last_failure: Option<(Instant, CredentialError)>,
}

impl State {
    fn backing_off(&self) -> Option<&CredentialError> {
        match &self.last_failure {
            Some((retry_at, error)) if Instant::now() < *retry_at => Some(error),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) epoch: u64,
    pub(crate) event: Event,
}

#[derive(Debug, Clone)]
pub(crate) enum Event {
    Initial,
    Refreshed(AccessToken),
    Failed(CredentialError),
    /// The background task ended without a result (its runtime shut down): try again.
    Stopped,
    Closed,
}

enum Step {
    Serve(AccessToken),
    Wait {
        ticket: u64,
        outcomes: watch::Receiver<Outcome>,
    },
}

impl CommunicationTokenCredential {
    /// A credential that always returns this token, never refreshing it. Like the official
    /// SDKs, it returns the token even after it has expired.
    ///
    /// # Errors
    /// A [`TokenError`] when `token` is not a readable JWT. For an opaque token, build an
    /// [`AccessToken`] with its expiry and use [`from_access_token`](Self::from_access_token).
    pub fn from_token(token: &str) -> Result<Self, TokenError> {
        Ok(Self::from_access_token(token.parse()?))
    }

    /// A credential that always returns this token, never refreshing it.
    pub fn from_access_token(token: AccessToken) -> Self {
        Self::build(Snapshot::fixed(token), Clock::System, None)
    }

    /// A credential that gets tokens from the refresher in `options`.
    ///
    /// Never fails and does not need a runtime (see [Runtime](Self#runtime)). A proactive
    /// credential built inside a runtime starts its background task at once, which refreshes
    /// immediately when there is no valid initial token.
    pub fn with_refresh(options: CommunicationTokenRefreshOptions) -> Self {
        let CommunicationTokenRefreshOptions {
            refresher,
            refresh_proactively: proactive,
            initial_token,
            refresher_timeout,
            fallback_lifetime,
            clock,
            retry_after_hint,
        } = options;
        // A proactive credential's hot path opens once its background task runs.
        let snapshot = match initial_token {
            Some(token) => Snapshot::refreshable(token, clock.now(), !proactive),
            None => Snapshot::empty(),
        };
        let (outcomes, _) = watch::channel(Outcome {
            epoch: 0,
            event: Event::Initial,
        });
        let engine = Engine {
            refresher,
            proactive,
            timeout: refresher_timeout,
            fallback_lifetime,
            retry_after_hint,
            signals: Arc::new(Signals {
                stop: watch::Sender::new(false),
            }),
            outcomes,
        };
        let credential = Self::build(snapshot, clock, Some(engine));
        if proactive {
            let inner = &credential.inner;
            // Spawned after the lock is released (see `next_step`). A refused spawn (runtime
            // shutting down) has reset the state already; the first `get_token` tries again.
            let launch = {
                let mut state = inner.lock_state();
                inner.claim_driver(&mut state)
            };
            if let Some(launch) = launch {
                launch.spawn();
            }
        }
        credential
    }

    fn build(snapshot: Snapshot, clock: Clock, engine: Option<Engine>) -> Self {
        CommunicationTokenCredential {
            inner: Arc::new(Inner {
                current: ArcSwap::from_pointee(snapshot),
                publication: Publication::new(),
                clock,
                state: Mutex::new(State::default()),
                engine,
            }),
        }
    }

    /// A valid token: the cached one, or a new one from the refresher when the cached one is
    /// missing or expired.
    ///
    /// A cached token with less than two minutes left (or half its lifetime, for short-lived
    /// tokens) starts a refresh but is still returned at once; only callers without an
    /// unexpired token wait, all for the same refresher call. Dropping the returned future
    /// cancels nothing.
    ///
    /// # Errors
    /// [`CredentialError`]: the refresher failed (its error is the source), returned an expired
    /// or unreadable token, timed out or panicked; the credential was closed; or a refresh was
    /// needed outside a Tokio runtime. After a failure, callers that need a new token get the
    /// same error until the retry delay has passed, without calling the refresher again.
    pub async fn get_token(&self) -> Result<AccessToken, CredentialError> {
        let mut expires_on = OffsetDateTime::UNIX_EPOCH;
        if let Some(token) = self.inner.fresh_token(&mut expires_on) {
            return Ok(AccessToken::new(token, expires_on));
        }
        // Boxed so the common path's future stays small.
        Box::pin(self.inner.get_token_slow(None)).await
    }

    /// A token to replace `rejected`, which a service refused (HTTP 401): the current token
    /// if it is no longer `rejected` (another caller already replaced it), otherwise a new one
    /// from the refresher, even though `rejected` has not expired yet.
    ///
    /// Concurrent callers with the same rejected token share one refresher call, and a refresh
    /// already in flight is joined rather than repeated. After a failed refresh, the retry
    /// delay applies as for [`get_token`](Self::get_token): until it has passed, callers get
    /// the last error without a new refresher call.
    ///
    /// # Errors
    /// [`CredentialError::CannotRefresh`] for a credential built from a fixed token; otherwise
    /// the errors of [`get_token`](Self::get_token).
    pub async fn refresh_rejected(
        &self,
        rejected: &AccessToken,
    ) -> Result<AccessToken, CredentialError> {
        if self.inner.engine.is_none() {
            return Err(CredentialError::CannotRefresh);
        }
        self.inner.get_token_slow(Some(rejected)).await
    }

    /// Makes every clone of this credential unusable: `get_token` fails with
    /// [`CredentialError::Closed`] from now on (callers waiting for a refresh get it too), the
    /// credential drops its token and the background task stops (a refresher call in flight
    /// is dropped). Closing twice does nothing.
    ///
    /// A thread that was served the token may keep it in memory until that thread next gets a
    /// token (from any credential) or exits; it is never served again. The same holds for a
    /// token replaced by a refresh and for a dropped credential's token.
    pub fn close(&self) {
        let inner = &self.inner;
        {
            let mut state = inner.lock_state();
            if state.closed {
                return;
            }
            state.closed = true;
            state.pending = false;
            state.demand = false;
            inner.publish(Snapshot::empty());
            if let Some(engine) = &inner.engine {
                state.epoch += 1;
                engine.outcomes.send_replace(Outcome {
                    epoch: state.epoch,
                    event: Event::Closed,
                });
            }
        }
        if let Some(engine) = &inner.engine {
            engine.signals.stop.send_replace(true);
        }
    }

    /// Whether [`close`](Self::close) was called on this credential or a clone of it.
    pub fn is_closed(&self) -> bool {
        self.inner.lock_state().closed
    }

    /// Observes this credential's background task (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn background_task(&self) -> crate::test_util::BackgroundTaskProbe {
        crate::test_util::BackgroundTaskProbe::new(self.inner.lock_state().driver_alive.clone())
    }
}

impl From<AccessToken> for CommunicationTokenCredential {
    fn from(token: AccessToken) -> Self {
        Self::from_access_token(token)
    }
}

impl fmt::Debug for CommunicationTokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let expires_on = inner.current.load().token().map(AccessToken::expires_on);
        let mut debug = f.debug_struct("CommunicationTokenCredential");
        match &inner.engine {
            None => debug.field("refresh", &"never"),
            Some(engine) if engine.proactive => debug.field("refresh", &"proactive"),
            Some(_) => debug.field("refresh", &"on demand"),
        };
        debug
            .field("expires_on", &expires_on)
            .field("closed", &inner.lock_state().closed)
            .finish()
    }
}

impl Inner {
    pub(crate) fn lock_state(&self) -> MutexGuard<'_, State> {
        // No code panics while holding this lock; recover the data if a future bug does.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the published snapshot. Call with the state lock held, so that publication
    /// numbers follow the order of publication.
    pub(crate) fn publish(&self, snapshot: Snapshot) {
        self.current.store(Arc::new(snapshot));
        // After the store: a thread that reads the new number loads this snapshot or a later one.
        self.publication.renew();
    }

    /// The hot path: one atomic load of the publication number, this thread's copy of the
    /// token, one wall-clock read (none for a fixed token) against its precomputed deadline,
    /// one reference count bump.
    #[inline]
    fn fresh_token(&self, expires_on: &mut OffsetDateTime) -> Option<Arc<str>> {
        last_served::fresh_token(&self.publication, &self.clock, &self.current, expires_on)
    }

    /// The slow path of `get_token`, and of `refresh_rejected` (with the `rejected` token).
    async fn get_token_slow(
        self: &Arc<Self>,
        rejected: Option<&AccessToken>,
    ) -> Result<AccessToken, CredentialError> {
        loop {
            let (ticket, mut outcomes) = match self.next_step(rejected)? {
                Step::Serve(token) => return Ok(token),
                Step::Wait { ticket, outcomes } => (ticket, outcomes),
            };
            // The sender lives as long as `self`, so this cannot fail while we hold `self`.
            let event = outcomes
                .wait_for(|outcome| outcome.epoch > ticket)
                .await
                .map(|outcome| outcome.event.clone())
                .map_err(|_| CredentialError::Closed)?;
            match event {
                Event::Refreshed(token) => return Ok(token),
                Event::Failed(error) => return Err(error),
                Event::Closed => return Err(CredentialError::Closed),
                Event::Stopped | Event::Initial => continue,
            }
        }
    }

    /// Decides whether to serve a token, fail, or wait for a refresh (requesting one when none
    /// is pending or backing off), and starts the background task when none is running.
    fn next_step(
        self: &Arc<Self>,
        rejected: Option<&AccessToken>,
    ) -> Result<Step, CredentialError> {
        // Lock order rule: the background task is claimed under the state lock but spawned
        // only after the lock is released. Its guard (which resets the state and wakes
        // waiters when the task ends) exists from the claim on and takes the state lock when
        // dropped, and Tokio drops the task inside `spawn` when its runtime is shutting down;
        // spawning under the (non-reentrant) lock would deadlock there. `launch` is declared
        // before the lock guard, so on every path (early return, panic) it is dropped after
        // the lock is released.
        let mut launch = None;
        // Same rule: its drop takes the lock.
        let mut watchdog = None;
        let decision = {
            let mut state = self.lock_state();
            self.decide(&mut state, rejected, &mut launch, &mut watchdog)
        };
        if let Some(launch) = launch
            && !launch.spawn()
        {
            // The runtime dropped the task before it ran; its guard has undone the claim and
            // released any waiter. Waiting here would only spawn again on the same dying
            // runtime, so do as outside a runtime.
            return match decision {
                Ok((Step::Serve(token), _)) => Ok(Step::Serve(token)),
                _ => self.without_driver(rejected),
            };
        }
        let (step, requested) = decision?;
        if requested {
            self.lock_state().driver_wake.notify_one();
        }
        if let Some(watchdog) = watchdog {
            watchdog.spawn();
        }
        Ok(step)
    }

    /// The decision of [`next_step`](Self::next_step), under the lock. Returns whether a
    /// refresh was requested. Leaves a task to spawn in `launch` when none was running. With
    /// a `rejected` token that is still the current one, that token is never served. Leaves
    /// a watchdog to spawn in `watchdog` when a refresh is pending that no watchdog on this
    /// runtime watches yet.
    fn decide(
        self: &Arc<Self>,
        state: &mut State,
        rejected: Option<&AccessToken>,
        launch: &mut Option<driver::Launch>,
        watchdog: &mut Option<driver::Watchdog>,
    ) -> Result<(Step, bool), CredentialError> {
        if state.closed {
            return Err(CredentialError::Closed);
        }
        let now = self.clock.now();
        let Some(engine) = &self.engine else {
            // A fixed token reaches here only when closed, handled above.
            return self
                .current
                .load()
                .token()
                .cloned()
                .map(|token| (Step::Serve(token), false))
                .ok_or(CredentialError::Closed);
        };
        let snapshot = self.current.load();
        let servable = |snapshot: &Snapshot| {
            snapshot
                .unexpired(now)
                .filter(|token| !is_rejected(token, rejected))
        };
        if !state.driver_running {
            *launch = self.claim_driver(state);
            if launch.is_none() {
                return servable(&snapshot)
                    .map(|token| (Step::Serve(token), false))
                    .ok_or(CredentialError::NoRuntime);
            }
        }
        let snapshot = self.current.load();
        let replaced = snapshot
            .token()
            .is_none_or(|current| !is_rejected(current, rejected));
        if replaced && now < snapshot.window_start {
            // Only the background task was missing; the token is fresh.
            if let Some(token) = snapshot.token() {
                return Ok((Step::Serve(token.clone()), false));
            }
        }
        let mut requested = false;
        if !state.pending && state.backing_off().is_none() {
            state.pending = true;
            state.demand = true;
            requested = true;
        }
        if state.pending
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            // A caller requested this outcome or waits for it: make sure it comes (or the
            // wait ends) in time even if the task's runtime is no longer driven. A watchdog on
            // another runtime is no help: that runtime may not be driven either.
            let watched = (state.epoch, state.driver_generation);
            let key = (watched, runtime.id());
            // Entries of earlier outcomes are done with.
            state.watchdogs.retain(|(outcome, _)| *outcome == watched);
            if !state.watchdogs.contains(&key) {
                state.watchdogs.push(key);
                *watchdog = Some(driver::Watchdog::new(
                    Arc::downgrade(self),
                    watched,
                    runtime,
                    engine.timeout,
                ));
            }
        }
        if let Some(token) = servable(&snapshot) {
            Ok((Step::Serve(token), requested))
        } else if state.pending {
            let step = Step::Wait {
                ticket: state.epoch,
                outcomes: engine.outcomes.subscribe(),
            };
            Ok((step, requested))
        } else {
            Err(state
                .backing_off()
                .cloned()
                .unwrap_or(CredentialError::NoRuntime))
        }
    }

    /// What a caller gets when no background task can run: an unexpired token, or an error.
    fn without_driver(&self, rejected: Option<&AccessToken>) -> Result<Step, CredentialError> {
        let state = self.lock_state();
        if state.closed {
            return Err(CredentialError::Closed);
        }
        self.current
            .load()
            .unexpired(self.clock.now())
            .filter(|token| !is_rejected(token, rejected))
            .map(Step::Serve)
            .ok_or(CredentialError::NoRuntime)
    }

    /// Claims the background task on the current runtime: marks it running and returns it,
    /// to be spawned once the state lock is released (see [`next_step`](Self::next_step)).
    /// Returns `None` outside a runtime.
    pub(crate) fn claim_driver(self: &Arc<Self>, state: &mut State) -> Option<driver::Launch> {
        let engine = self.engine.as_ref()?;
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let alive = Arc::new(());
        state.driver_alive = Arc::downgrade(&alive);
        state.driver_running = true;
        state.driver_generation += 1;
        state.driver_wake = Arc::new(Notify::new());
        if engine.proactive {
            // The task now keeps the token fresh: open the hot path. (Its guard closes it
            // again if the task ends, or never starts.)
            let reopened = self.current.load().with_fast_path(true);
            self.publish(reopened);
        }
        Some(driver::Launch::new(
            runtime,
            Arc::downgrade(self),
            Arc::clone(&engine.signals),
            Arc::clone(&state.driver_wake),
            alive,
            state.driver_generation,
        ))
    }

    /// The remaining lifetime of the current token at the current wall-clock time.
    pub(crate) fn remaining(&self) -> Duration {
        let now = self.clock.now();
        self.current
            .load()
            .expires_at
            .duration_since(now)
            .unwrap_or(Duration::ZERO)
    }
}

/// Whether `token` is the one a service `rejected` (same text).
fn is_rejected(token: &AccessToken, rejected: Option<&AccessToken>) -> bool {
    rejected.is_some_and(|rejected| rejected.token() == token.token())
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(engine) = &self.engine {
            engine.signals.stop.send_replace(true);
        }
    }
}
