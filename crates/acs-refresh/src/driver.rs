//! The background task that owns every refresher call of a credential.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use acs_token::AccessToken;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tracing::Instrument;
use tracing::field::Empty;

use crate::clock::Clock;
use crate::credential::{Event, Inner, Outcome, Signals};
use crate::error::{CredentialError, RefresherError};
use crate::options::RetryAfterHint;
use crate::refresher::{RefreshedToken, TokenRefresher};
use crate::snapshot::Snapshot;

/// The first retry delay after a failure; it doubles with each further failure.
const RETRY_BASE: Duration = Duration::from_secs(1);
/// Retry delays never grow past this.
const RETRY_CAP: Duration = Duration::from_secs(5 * 60);
/// Retries never come faster than this, even when the token is about to expire.
const RETRY_FLOOR: Duration = Duration::from_millis(500);
/// The task re-reads the wall clock at least this often, so a suspended machine or a clock
/// jump delays a proactive refresh by at most this much.
/// The longest service-requested delay honoured: a broken proxy's `Retry-After: 99999999` must
/// not silence a credential for years.
pub(crate) const RETRY_AFTER_CAP: Duration = Duration::from_secs(60 * 60);
const MAX_SLEEP: Duration = Duration::from_secs(5 * 60);

/// Why a refresh attempt started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    OnDemand,
    Proactive,
    Retry,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::OnDemand => "on-demand",
            Trigger::Proactive => "proactive",
            Trigger::Retry => "retry",
        }
    }
}

enum Plan {
    Exit,
    /// Wait for a request, for at most this long (forever when `None`).
    Wait(Option<Duration>),
    Run(Attempt),
}

/// A background task that the credential has claimed (under its state lock, the state now
/// says a task is running) but not yet handed to a runtime.
///
/// It owns the task's [`StopGuard`] from the start, so that every way the task can end
/// undoes the claim: the task returning, its runtime dropping it mid-run, its runtime
/// dropping it before it ever ran (shutdown), the runtime refusing it at spawn (already
/// shutting down: Tokio then drops the future inside `spawn`), or this value being dropped
/// unspawned. The guard's drop takes the state lock, so a `Launch` must only be dropped or
/// [spawned](Self::spawn) after that lock is released; see `Inner::next_step`.
pub(crate) struct Launch {
    runtime: tokio::runtime::Handle,
    signals: Arc<Signals>,
    wake: Arc<Notify>,
    guard: StopGuard,
}

impl Launch {
    /// Call with the state lock held, right after marking the task as running.
    pub(crate) fn new(
        runtime: tokio::runtime::Handle,
        weak: Weak<Inner>,
        signals: Arc<Signals>,
        wake: Arc<Notify>,
        alive: Arc<()>,
        generation: u64,
    ) -> Self {
        Launch {
            runtime,
            signals,
            wake,
            guard: StopGuard {
                weak,
                alive,
                generation,
            },
        }
    }

    /// Hands the task to its runtime. Call without the state lock held.
    ///
    /// Returns `false` when the task is already gone when `spawn` returns: its runtime is
    /// shutting down and dropped it on the spot (or, on a multi-thread runtime, it already ran
    /// and ended because the credential was closed). Its guard has then already reset the
    /// state and woken the waiters.
    pub(crate) fn spawn(self) -> bool {
        let alive = Arc::downgrade(&self.guard.alive);
        // Detached: the task's end is observed through its guard, not its join handle.
        drop(self.runtime.spawn(run(self.signals, self.wake, self.guard)));
        alive.strong_count() > 0
    }
}

/// How much longer than the refresher timeout an outcome may take before the background task
/// is deemed stalled: a task that is polled cuts a refresher call off at the timeout and
/// answers at once.
pub(crate) const STALL_MARGIN: Duration = Duration::from_secs(1);

/// Bounds the wait of callers waiting for an outcome: they get one within the refresher timeout
/// plus [`STALL_MARGIN`], even when the background task's runtime is alive but no longer driven
/// (say a current-thread runtime whose thread now blocks in `join()` while other threads, on
/// runtimes of their own, use the credential): nothing then polls the task, not even its
/// timeout.
///
/// Spawned on the runtime of the first caller that requests or waits for a given outcome,
/// and again on each other runtime with a caller waiting for it: a waiting caller is being
/// driven, so the watchdog beside it is too (and a caller that just requested a refresh for a
/// token about to expire was driven a moment ago and is likely to be again). When it fires, it
/// releases every caller still waiting for that outcome with [`CredentialError::Timeout`]
/// (their wait began after the watchdog was armed, so none waited longer than the limit), gives
/// the stalled task up and starts a new one on its own runtime, which calls the refresher at
/// once for the callers that come next; it then watches that task's outcome. At most one per
/// outcome and runtime; it holds only a `Weak` to the credential and ends as soon as the
/// outcome it watches comes or the credential is closed or dropped.
///
/// Like a [`Launch`], it takes the state lock when dropped: drop or spawn it only after that
/// lock is released.
pub(crate) struct Watchdog {
    weak: Weak<Inner>,
    /// The outcome (epoch) and the task (generation) watched.
    watched: (u64, u64),
    runtime: tokio::runtime::Handle,
    timeout: Duration,
}

impl Watchdog {
    /// A watchdog for the `watched` outcome on `runtime`. Call with the state lock held, after
    /// recording it in `State::watchdogs`.
    pub(crate) fn new(
        weak: Weak<Inner>,
        watched: (u64, u64),
        runtime: tokio::runtime::Handle,
        timeout: Duration,
    ) -> Self {
        Watchdog {
            weak,
            watched,
            runtime,
            timeout,
        }
    }

    /// Hands the watchdog to its runtime.
    pub(crate) fn spawn(self) {
        let runtime = self.runtime.clone();
        drop(runtime.spawn(self.watch()));
    }

    fn key(&self) -> ((u64, u64), tokio::runtime::Id) {
        (self.watched, self.runtime.id())
    }

    async fn watch(mut self) {
        let limit = self.timeout.saturating_add(STALL_MARGIN);
        let Some(mut outcomes) = self.weak.upgrade().and_then(|inner| {
            let engine = inner.engine.as_ref()?;
            Some(engine.outcomes.subscribe())
        }) else {
            return;
        };
        loop {
            let (epoch, _) = self.watched;
            // Ends as soon as the watched outcome comes (or the credential is closed or
            // dropped, which drops the sender): sleeping the limit out would keep this task
            // alive that long for nothing, forever with an unbounded refresher timeout.
            tokio::select! {
                () = tokio::time::sleep(limit) => {}
                // `is_ok` drops the borrow of the outcome (a read lock) at once, before the
                // drop of `self` takes the state lock.
                _ = async { outcomes.wait_for(|outcome| outcome.epoch != epoch).await.is_ok() } => {
                    return;
                }
            }
            let Some(inner) = self.weak.upgrade() else {
                return;
            };
            let Some(engine) = &inner.engine else {
                return;
            };
            let replacement = {
                let mut state = inner.lock_state();
                let (epoch, generation) = self.watched;
                if state.closed
                    || state.epoch != epoch
                    || !state.driver_running
                    || state.driver_generation != generation
                {
                    // Answered, or the task ended (its guard answered) or was replaced.
                    return;
                }
                tracing::warn!(
                    limit_ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
                    "the credential's background task gave no answer in time (its runtime is \
                     not being driven); releasing its waiters and starting a new one"
                );
                // The callers waiting now have waited long enough: they get a timeout, and
                // the new task's result goes to the callers that come next.
                state.epoch += 1;
                engine.outcomes.send_replace(Outcome {
                    epoch: state.epoch,
                    event: Event::Failed(CredentialError::Timeout {
                        timeout: self.timeout,
                    }),
                });
                // Voids the stalled task and its stop guard: whatever it does if its runtime
                // runs it again, it leaves the state alone.
                state.driver_running = false;
                // Called on this runtime, so it claims a task (unless the credential has no
                // refresher, which never gets here).
                let launch = inner.claim_driver(&mut state);
                if launch.is_some() {
                    state.pending = true;
                    state.demand = true;
                } else {
                    state.pending = false;
                    state.demand = false;
                }
                self.watched = (state.epoch, state.driver_generation);
                let key = self.key();
                state.watchdogs.retain(|(watched, _)| *watched == key.0);
                state.watchdogs.push(key);
                launch
            };
            drop(inner);
            // Spawned after the lock is released (see `Launch`). A refusal means this runtime
            // is shutting down too, and its guard has released the waiters.
            if !replacement.is_some_and(Launch::spawn) {
                return;
            }
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // Lets the next waiter on this runtime arm a new watchdog for this outcome if this one
        // never ran.
        if let Some(inner) = self.weak.upgrade() {
            let key = self.key();
            inner.lock_state().watchdogs.retain(|entry| *entry != key);
        }
    }
}

/// The background task. It holds a `Weak` to the credential and upgrades it only briefly, so
/// it never keeps the credential alive; it ends when the credential is closed or dropped.
///
/// `guard` is an argument rather than a local so that it lives in the future from its
/// creation: dropping the future before its first poll still runs the guard.
async fn run(signals: Arc<Signals>, wake: Arc<Notify>, guard: StopGuard) {
    let weak = guard.weak.clone();
    let generation = guard.generation;
    let mut stop = signals.stop.subscribe();
    loop {
        let plan = match weak.upgrade() {
            Some(inner) => inner.plan(generation),
            None => return,
        };
        match plan {
            Plan::Exit => return,
            Plan::Wait(limit) => {
                let sleep = async {
                    match limit {
                        Some(limit) => tokio::time::sleep(limit).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    () = wake.notified() => {}
                    () = sleep => {}
                    () = stopped(&mut stop) => return,
                }
            }
            Plan::Run(attempt) => {
                // Boxed: an idle task (the common state) stays small.
                let finished = tokio::select! {
                    finished = Box::pin(attempt.execute()) => finished,
                    () = stopped(&mut stop) => return,
                };
                match weak.upgrade() {
                    Some(inner) => inner.finish(generation, attempt.trigger, finished),
                    None => return,
                }
            }
        }
    }
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    // An error means the sender is gone, which also means stop.
    let _ = stop.wait_for(|stop| *stop).await.map(|_| ());
}

/// Runs when the task ends for any reason, including its runtime shutting down before or
/// after it first ran: lets the next caller start a new task, and wakes callers waiting for a
/// result that will not come. Created with the claim (see [`Launch`]), never inside the task.
struct StopGuard {
    weak: Weak<Inner>,
    /// Dropped with the guard: the credential's `driver_alive` then no longer upgrades.
    alive: Arc<()>,
    /// The task's number (`State::driver_generation` when it was claimed).
    generation: u64,
}

impl Drop for StopGuard {
    fn drop(&mut self) {
        let Some(inner) = self.weak.upgrade() else {
            return;
        };
        let Some(engine) = &inner.engine else {
            return;
        };
        let mut state = inner.lock_state();
        if state.driver_generation != self.generation {
            // This task was given up and replaced: the state belongs to its successor.
            return;
        }
        state.driver_running = false;
        if state.closed {
            return;
        }
        state.pending = false;
        state.demand = false;
        state.epoch += 1;
        if engine.proactive {
            // Nothing refreshes in the background now: route callers through the slow path,
            // which starts a new task.
            let closed_fast_path = inner.current.load().with_fast_path(false);
            inner.publish(closed_fast_path);
        }
        let event = if std::thread::panicking() {
            // Only the runtime's own machinery panics here (for example a runtime without its
            // time driver): report it rather than respawn in a loop.
            Event::Failed(CredentialError::NoRuntime)
        } else {
            Event::Stopped
        };
        engine.outcomes.send_replace(Outcome {
            epoch: state.epoch,
            event,
        });
    }
}

impl Inner {
    /// Decides, under the lock, what the background task does next.
    fn plan(&self, generation: u64) -> Plan {
        let Some(engine) = &self.engine else {
            return Plan::Exit;
        };
        let mut state = self.lock_state();
        if state.closed || state.driver_generation != generation {
            return Plan::Exit;
        }
        let trigger = if state.demand {
            state.demand = false;
            Trigger::OnDemand
        } else if !engine.proactive {
            return Plan::Wait(None);
        } else if let Some((retry_at, _)) = &state.last_failure {
            let now = Instant::now();
            if now < *retry_at {
                return Plan::Wait(Some((*retry_at - now).min(MAX_SLEEP)));
            }
            Trigger::Retry
        } else {
            let now = self.clock.now();
            match self.current.load().proactive_at.duration_since(now) {
                Ok(wait) if !wait.is_zero() => return Plan::Wait(Some(wait.min(MAX_SLEEP))),
                _ => Trigger::Proactive,
            }
        };
        state.pending = true;
        Plan::Run(Attempt {
            refresher: Arc::clone(&engine.refresher),
            retry_after_hint: engine.retry_after_hint.clone(),
            timeout: engine.timeout,
            fallback_lifetime: engine.fallback_lifetime,
            clock: self.clock.clone(),
            trigger,
        })
    }

    /// Publishes an attempt's result, under the lock.
    fn finish(&self, generation: u64, trigger: Trigger, finished: Finished) {
        let Some(engine) = &self.engine else {
            return;
        };
        let Finished {
            result,
            error_text,
            retry_after,
            span,
        } = finished;
        let _entered = span.enter();
        let mut state = self.lock_state();
        if state.closed || state.driver_generation != generation {
            // A task that was given up (see `Inner::give_up_stalled_task`) leaves the result
            // to its successor.
            return;
        }
        state.pending = false;
        state.epoch += 1;
        let event = match result {
            Ok(token) => {
                let snapshot = Snapshot::refreshable(token.clone(), self.clock.now(), true);
                self.publish(snapshot);
                state.consecutive_failures = 0;
                state.last_failure = None;
                tracing::debug!(expires_on = %token.expires_on(), "token refreshed");
                Event::Refreshed(token)
            }
            Err(error) => {
                state.consecutive_failures = state.consecutive_failures.saturating_add(1);
                // The service's own delay, when it gave one, wins over a shorter backoff.
                let delay = retry_delay(state.consecutive_failures, self.remaining())
                    .max(retry_after.unwrap_or_default());
                state.last_failure = Some((later(Instant::now(), delay), error.clone()));
                tracing::warn!(
                    trigger = trigger.as_str(),
                    error = %error_text,
                    consecutive_failures = state.consecutive_failures,
                    retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "token refresh failed"
                );
                Event::Failed(error)
            }
        };
        engine.outcomes.send_replace(Outcome {
            epoch: state.epoch,
            event,
        });
    }
}

/// One refresher call and everything needed to judge its result, taken out of the credential
/// so that no lock and no strong reference is held while it runs.
struct Attempt {
    refresher: Arc<dyn TokenRefresher>,
    retry_after_hint: Option<RetryAfterHint>,
    timeout: Duration,
    fallback_lifetime: Option<Duration>,
    clock: Clock,
    trigger: Trigger,
}

/// What an [`Attempt`] produced.
struct Finished {
    result: Result<AccessToken, CredentialError>,
    /// The error's whole cause chain, for the log (empty on success). It includes the
    /// refresher error's own text: the most useful clue, and the one thing here we do not
    /// control. `TokenRefresher` and the README tell users it is logged and must not contain
    /// secrets; our own errors never contain token text. Formatted in the task, inside the
    /// panic guard and without any lock held: its `Display` is user code, which may panic or
    /// use this credential.
    error_text: String,
    /// How long the refresher's error asked to wait before the next attempt.
    retry_after: Option<Duration>,
    span: tracing::Span,
}

impl Attempt {
    async fn execute(&self) -> Finished {
        let span = tracing::info_span!(
            "acs_refresh::refresh",
            trigger = self.trigger.as_str(),
            outcome = Empty,
            duration_ms = Empty,
        );
        let started = Instant::now();
        let mut result = self.call_refresher().instrument(span.clone()).await;
        let error_text = match &result {
            Ok(_) => String::new(),
            Err(error) => match std::panic::catch_unwind(AssertUnwindSafe(|| cause_chain(error))) {
                Ok(text) => text,
                Err(_panic) => {
                    result = Err(CredentialError::RefresherPanicked);
                    CredentialError::RefresherPanicked.to_string()
                }
            },
        };
        span.record("outcome", outcome_name(&result));
        span.record(
            "duration_ms",
            u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        );
        let retry_after = match &result {
            Err(CredentialError::Refresher(error)) => self.retry_after(error),
            _ => None,
        };
        Finished {
            result,
            error_text,
            retry_after,
            span,
        }
    }

    /// The retry delay the refresher's error asks for (at most [`RETRY_AFTER_CAP`]): from the
    /// options' hint when set, else from the refresher. Both are user code: a panic there means
    /// no hint.
    fn retry_after(&self, error: &RefresherError) -> Option<Duration> {
        let error: &(dyn std::error::Error + Send + Sync + 'static) = &**error;
        std::panic::catch_unwind(AssertUnwindSafe(|| match &self.retry_after_hint {
            Some(hint) => hint(error),
            None => self.refresher.retry_after(error),
        }))
        .ok()
        .flatten()
        .map(|delay| delay.min(RETRY_AFTER_CAP))
    }

    async fn call_refresher(&self) -> Result<AccessToken, CredentialError> {
        // A hand-written `refresh` may run code before it returns its future: catch a panic there too.
        let future = std::panic::catch_unwind(AssertUnwindSafe(|| self.refresher.refresh()))
            .map_err(|_| CredentialError::RefresherPanicked)?;
        let mut guarded = CatchUnwind(Some(future));
        let outcome = tokio::time::timeout(self.timeout, &mut guarded).await;
        // Cut off or finished, the future is dropped here, where a panic in its `Drop` is
        // caught too.
        if guarded.drop_inner().is_err() {
            return Err(CredentialError::RefresherPanicked);
        }
        match outcome {
            Err(_elapsed) => Err(CredentialError::Timeout {
                timeout: self.timeout,
            }),
            Ok(Err(Panicked)) => Err(CredentialError::RefresherPanicked),
            Ok(Ok(Err(error))) => Err(CredentialError::Refresher(RefresherError::new(error))),
            Ok(Ok(Ok(refreshed))) => self.accept(refreshed),
        }
    }

    fn accept(&self, refreshed: RefreshedToken) -> Result<AccessToken, CredentialError> {
        let now = crate::clock::to_offset_date_time(self.clock.now());
        let token = match refreshed {
            RefreshedToken::Token(token) => token,
            RefreshedToken::Jwt(text) => match AccessToken::from_jwt(Arc::clone(text.expose())) {
                Ok(token) => token,
                Err(error) => match self.fallback_lifetime {
                    Some(lifetime) => {
                        warn_fallback_once(&error);
                        let lifetime =
                            time::Duration::try_from(lifetime).unwrap_or(time::Duration::MAX);
                        AccessToken::new(text.into_inner(), now.saturating_add(lifetime))
                    }
                    None => return Err(CredentialError::InvalidToken(error)),
                },
            },
        };
        if token.is_expired_at(now) {
            return Err(CredentialError::ExpiredToken {
                expires_on: token.expires_on(),
            });
        }
        Ok(token)
    }
}

fn warn_fallback_once(error: &acs_token::TokenError) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            %error,
            "the token refresher returned a token whose expiry cannot be read; using the \
             configured fallback lifetime (logged once)"
        );
    }
}

/// An error and its whole `source()` chain, joined with ": ". A message that the text so far
/// already ends with is skipped: an error whose `Display` includes its source's message (as
/// [`CredentialError::Refresher`] does) is not repeated. At most
/// [`MAX_SOURCE_DEPTH`](crate::error::MAX_SOURCE_DEPTH) levels: a chain that loops (a bug in
/// the refresher's error type) must not keep the background task busy forever.
pub(crate) fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    for cause in crate::error::sources(error).skip(1) {
        let message = cause.to_string();
        if !text.ends_with(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
    }
    text
}

fn outcome_name(result: &Result<AccessToken, CredentialError>) -> &'static str {
    match result {
        Ok(_) => "refreshed",
        Err(CredentialError::Refresher(_)) => "refresher_error",
        Err(CredentialError::ExpiredToken { .. }) => "expired_token",
        Err(CredentialError::InvalidToken(_)) => "invalid_token",
        Err(CredentialError::Timeout { .. }) => "timeout",
        Err(CredentialError::RefresherPanicked) => "panicked",
        Err(_) => "failed",
    }
}

/// The delay before retrying after `failures` consecutive failures: exponential from
/// [`RETRY_BASE`] up to [`RETRY_CAP`], with "equal jitter" (half fixed, half random) so that
/// many clients do not retry in step. While the current token is still valid (`remaining`
/// is not zero), the retry comes before it expires: at most half the remaining lifetime, but
/// never sooner than [`RETRY_FLOOR`].
pub(crate) fn retry_delay(failures: u32, remaining: Duration) -> Duration {
    let doublings = failures.saturating_sub(1).min(20);
    let ceiling = RETRY_BASE.saturating_mul(1 << doublings).min(RETRY_CAP);
    let half = ceiling / 2;
    let delay = half + half.mul_f64(fastrand::f64());
    if remaining.is_zero() {
        delay
    } else {
        delay.min((remaining / 2).max(RETRY_FLOOR))
    }
}

/// `delay` after `instant`, or as late as the clock can say for an absurd delay.
fn later(instant: Instant, delay: Duration) -> Instant {
    instant
        .checked_add(delay)
        .or_else(|| instant.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(instant)
}

/// The refresher future panicked.
struct Panicked;

/// Turns a panic while polling or dropping the inner future into `Err(Panicked)`.
struct CatchUnwind<F>(Option<F>);

impl<F> CatchUnwind<F> {
    /// Drops the inner future, catching a panic in its `Drop`.
    fn drop_inner(&mut self) -> Result<(), Panicked> {
        let inner = self.0.take();
        std::panic::catch_unwind(AssertUnwindSafe(move || drop(inner))).map_err(|_| Panicked)
    }
}

impl<F> Drop for CatchUnwind<F> {
    fn drop(&mut self) {
        // Dropped with the task (the credential was closed or dropped): nobody to tell.
        let _ = self.drop_inner();
    }
}

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Panicked>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(inner) = self.0.as_mut() else {
            return Poll::Ready(Err(Panicked));
        };
        match std::panic::catch_unwind(AssertUnwindSafe(|| Pin::new(&mut *inner).poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_payload) => Poll::Ready(Err(Panicked)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_grows_to_the_cap_with_jitter() {
        for failures in 1..=40 {
            let ceiling = RETRY_BASE
                .saturating_mul(1 << (failures - 1).min(20))
                .min(RETRY_CAP);
            for _ in 0..50 {
                let delay = retry_delay(failures, Duration::ZERO);
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "{failures}: {delay:?}"
                );
            }
        }
        assert!(retry_delay(u32::MAX, Duration::ZERO) <= RETRY_CAP);
        // Jitter: the delays at the cap spread over [cap/2, cap] rather than repeating one
        // value (each check fails by chance with probability 0.8^200).
        let delays: Vec<Duration> = (0..200).map(|_| retry_delay(30, Duration::ZERO)).collect();
        assert!(delays.iter().any(|delay| *delay < RETRY_CAP.mul_f64(0.6)));
        assert!(delays.iter().any(|delay| *delay > RETRY_CAP.mul_f64(0.9)));
    }

    #[test]
    fn retry_delay_comes_before_a_valid_token_expires() {
        let remaining = Duration::from_secs(60);
        for _ in 0..100 {
            assert!(retry_delay(30, remaining) <= remaining / 2);
        }
        assert!(retry_delay(30, Duration::from_millis(10)) >= RETRY_FLOOR);
    }

    #[test]
    fn the_cause_chain_joins_every_message_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("the exchange failed")]
        struct Outer(#[source] std::io::Error);

        let error = CredentialError::Refresher(RefresherError::new(Box::new(Outer(
            std::io::Error::other("AADSTS50013 signature validation failed"),
        ))));
        assert_eq!(
            cause_chain(&error),
            "the token refresher failed: the exchange failed: AADSTS50013 signature validation \
             failed"
        );
        assert_eq!(
            cause_chain(&CredentialError::Closed),
            "the credential is closed"
        );
    }
}
