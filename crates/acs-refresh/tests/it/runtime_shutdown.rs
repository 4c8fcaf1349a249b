//! A credential survives the runtime its background task was spawned on shutting down, at
//! every moment: before the spawn (the runtime drops the task inside `spawn`), between the
//! spawn and the task's first poll, and while the refresher runs. Nobody waits forever,
//! nothing deadlocks, and the next runtime refreshes.
//!
//! Each scenario runs on a thread of its own, bounded by [`within_deadline`]: a hang or a
//! deadlock fails the test instead of stalling the suite. No test sleeps when it passes.

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::common::{Calls, ServiceDown};
use acs_refresh::{
    AccessToken, CommunicationTokenCredential, CommunicationTokenRefreshOptions, CredentialError,
};
use acs_token::test_util::TokenBuilder;
use tokio::runtime::{Builder, Runtime};

/// Generous: only reached when a scenario hangs.
const DEADLINE: Duration = Duration::from_secs(20);

/// Runs `scenario` on its own thread and fails if it has not finished by [`DEADLINE`] (a
/// deadlocked or wedged credential), re-raising its panic otherwise.
fn within_deadline(scenario: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        scenario();
        let _ = done.send(());
    });
    match finished.recv_timeout(DEADLINE) {
        Ok(()) => thread.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The scenario panicked: report its panic.
            if let Err(panic) = thread.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("the scenario hung for {DEADLINE:?}: a credential wedged or deadlocked")
        }
    }
}

/// Records whether it was woken, and lets a thread wait for that.
#[derive(Default)]
struct WakeFlag {
    woken: Mutex<bool>,
    changed: Condvar,
}

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        *self.woken.lock().unwrap() = true;
        self.changed.notify_all();
    }
}

impl WakeFlag {
    fn woken(&self) -> bool {
        *self.woken.lock().unwrap()
    }

    /// Waits until woken (an event, not a delay); `false` if not woken within `limit`.
    fn wait_woken(&self, limit: Duration) -> bool {
        let woken = self.woken.lock().unwrap();
        let (mut woken, _) = self
            .changed
            .wait_timeout_while(woken, limit, |woken| !*woken)
            .unwrap();
        std::mem::replace(&mut *woken, false)
    }
}

type TokenFuture = Pin<Box<dyn Future<Output = Result<AccessToken, CredentialError>> + Send>>;

/// A `get_token` future polled once by hand, with a waker that records being woken.
struct Waiter {
    future: TokenFuture,
    flag: Arc<WakeFlag>,
}

impl Waiter {
    /// Polls again with the same waker.
    fn poll(&mut self) -> Poll<Result<AccessToken, CredentialError>> {
        let waker = Waker::from(Arc::clone(&self.flag));
        self.future.as_mut().poll(&mut Context::from_waker(&waker))
    }

    fn start(
        credential: &CommunicationTokenCredential,
    ) -> (Self, Poll<Result<AccessToken, CredentialError>>) {
        let credential = credential.clone();
        let mut waiter = Waiter {
            future: Box::pin(async move { credential.get_token().await }),
            flag: Arc::default(),
        };
        let waker = Waker::from(Arc::clone(&waiter.flag));
        let poll = waiter
            .future
            .as_mut()
            .poll(&mut Context::from_waker(&waker));
        (waiter, poll)
    }
}

/// The expiry of the token returned by the refresher's `call`th call (1-based): in the year
/// 3000, plus `call` seconds, so that tokens tell which call made them.
fn expiry_of_call(call: usize) -> i64 {
    32_503_680_000 + i64::try_from(call).unwrap()
}

/// A refresher returning a token identifying its call; calls numbered in `hang_on` never end.
fn options(calls: &Calls, hang_on: &'static [usize]) -> CommunicationTokenRefreshOptions {
    let calls = calls.clone();
    CommunicationTokenRefreshOptions::new(move || {
        let call = calls.record();
        async move {
            if hang_on.contains(&call) {
                std::future::pending::<()>().await;
            }
            Ok::<_, ServiceDown>(TokenBuilder::new().exp(expiry_of_call(call)).build())
        }
    })
}

/// The handle of a runtime that has shut down completely (dropping a multi-thread runtime
/// waits for its workers, which close its task list).
fn shut_down(runtime: Runtime) -> tokio::runtime::Handle {
    let handle = runtime.handle().clone();
    drop(runtime);
    handle
}

fn current_thread() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

fn multi_thread() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `get_token` on a fresh, healthy runtime, bounded by a timeout on that runtime.
fn get_token_on_a_healthy_runtime(
    credential: &CommunicationTokenCredential,
) -> Result<AccessToken, CredentialError> {
    let healthy = multi_thread();
    healthy.block_on(async {
        let token = tokio::time::timeout(Duration::from_secs(5), credential.get_token())
            .await
            .expect("get_token on a healthy runtime hung: the credential is wedged");
        assert!(credential.background_task().is_running());
        token
    })
}

#[test]
fn a_refresh_needed_on_a_shutting_down_runtime_fails_at_once_then_the_next_runtime_refreshes() {
    within_deadline(|| {
        for (flavour, dead) in [
            ("current-thread", current_thread()),
            ("multi-thread", multi_thread()),
        ] {
            let calls = Calls::new();
            let credential = CommunicationTokenCredential::with_refresh(options(&calls, &[]));
            let handle = shut_down(dead);
            {
                // Code still running inside the runtime while it shuts down. Tokio drops the
                // task inside `spawn`; the caller must neither deadlock there nor wait for it.
                let _entered = handle.enter();
                match Waiter::start(&credential).1 {
                    Poll::Ready(Err(CredentialError::NoRuntime)) => {}
                    Poll::Pending => {
                        panic!("{flavour}: get_token waits for a task that never runs")
                    }
                    Poll::Ready(other) => panic!("{flavour}: {other:?}"),
                }
            }
            assert_eq!(calls.count(), 0, "{flavour}");
            assert!(!credential.background_task().is_running(), "{flavour}");

            // The same credential on a healthy runtime: a new task, a refreshed token.
            let token = get_token_on_a_healthy_runtime(&credential).unwrap();
            assert_eq!(
                token.expires_on().unix_timestamp(),
                expiry_of_call(1),
                "{flavour}"
            );
            assert_eq!(calls.count(), 1, "{flavour}");
        }
    });
}

#[test]
fn the_error_on_a_shutting_down_runtime_is_no_runtime_and_a_valid_token_is_still_served() {
    within_deadline(|| {
        let handle = shut_down(current_thread());
        let _entered = handle.enter();

        let calls = Calls::new();
        let credential = CommunicationTokenCredential::with_refresh(options(&calls, &[]));
        match Waiter::start(&credential).1 {
            Poll::Ready(Err(CredentialError::NoRuntime)) => {}
            other => panic!("{other:?}"),
        }

        // A valid initial token inside the refresh window: served without waiting, although
        // the refresh it asks for cannot start.
        let initial: AccessToken = TokenBuilder::new().build().parse().unwrap();
        let valid = CommunicationTokenCredential::with_refresh(options(&calls, &[]).initial_token(
            AccessToken::new(
                initial.token(),
                time::OffsetDateTime::now_utc() + Duration::from_secs(60),
            ),
        ));
        match Waiter::start(&valid).1 {
            Poll::Ready(Ok(token)) => assert_eq!(token.token(), initial.token()),
            other => panic!("{other:?}"),
        }
        assert_eq!(calls.count(), 0);
    });
}

#[test]
fn waiters_are_released_when_the_runtime_drops_the_task_before_it_ran() {
    within_deadline(|| {
        let calls = Calls::new();
        let credential = CommunicationTokenCredential::with_refresh(options(&calls, &[]));
        let runtime = current_thread();
        // The first caller spawns the task on a runtime that is never driven, so the task
        // never runs, and waits for it.
        let (mut spawner, poll) = {
            let _entered = runtime.enter();
            Waiter::start(&credential)
        };
        assert!(poll.is_pending());
        assert!(credential.background_task().is_running());
        // A second caller, on no runtime at all, waits for the same task.
        let (mut other, poll) = Waiter::start(&credential);
        assert!(poll.is_pending());

        drop(runtime);
        assert!(!credential.background_task().is_running());
        assert!(
            spawner.flag.woken(),
            "the caller that spawned the task was not woken"
        );
        assert!(other.flag.woken(), "the other waiter was not woken");
        assert_eq!(calls.count(), 0);

        // Both waiters finish on a healthy runtime, with one refresh.
        let healthy = multi_thread();
        let (first, second) = healthy.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), async {
                let first = spawner.future.as_mut().await;
                let second = other.future.as_mut().await;
                (first, second)
            })
            .await
            .expect("a released waiter hung")
        });
        let (first, second) = (first.unwrap(), second.unwrap());
        assert_eq!(first, second);
        assert_eq!(first.expires_on().unix_timestamp(), expiry_of_call(1));
        assert_eq!(calls.count(), 1);
    });
}

#[test]
fn waiters_are_released_when_the_runtime_drops_the_task_mid_refresh() {
    within_deadline(|| {
        let calls = Calls::new();
        // The first refresher call never ends; the second succeeds.
        let credential = CommunicationTokenCredential::with_refresh(options(&calls, &[1]));
        let runtime = current_thread();
        let mut waiter = None;
        runtime.block_on(async {
            let (started, poll) = Waiter::start(&credential);
            assert!(poll.is_pending());
            waiter = Some(started);
            while calls.count() == 0 {
                tokio::task::yield_now().await;
            }
        });
        let mut waiter = waiter.unwrap();
        assert!(!waiter.flag.woken());

        drop(runtime);
        assert!(!credential.background_task().is_running());
        assert!(waiter.flag.woken(), "the waiter was not woken");

        let healthy = multi_thread();
        let token = healthy
            .block_on(async {
                tokio::time::timeout(Duration::from_secs(5), waiter.future.as_mut()).await
            })
            .expect("a released waiter hung")
            .unwrap();
        assert_eq!(token.expires_on().unix_timestamp(), expiry_of_call(2));
        assert_eq!(calls.count(), 2);
    });
}

#[test]
fn a_proactive_credential_built_on_a_shutting_down_runtime_starts_on_the_next_one() {
    within_deadline(|| {
        let calls = Calls::new();
        let handle = shut_down(multi_thread());
        let credential = {
            let _entered = handle.enter();
            CommunicationTokenCredential::with_refresh(
                options(&calls, &[]).refresh_proactively(true),
            )
        };
        assert!(!credential.background_task().is_running());

        let token = get_token_on_a_healthy_runtime(&credential).unwrap();
        assert_eq!(token.expires_on().unix_timestamp(), expiry_of_call(1));
        assert_eq!(calls.count(), 1);
    });
}

/// The reviewer's reproduction: `shutdown_background` returns before the workers have closed
/// the task list, so the spawn may be refused on the spot or accepted and the task dropped
/// unstarted a moment later. Either way the caller is answered, never left waiting.
#[test]
fn get_token_right_after_shutdown_background_is_answered_then_the_next_runtime_refreshes() {
    within_deadline(|| {
        for _ in 0..20 {
            let calls = Calls::new();
            let credential = CommunicationTokenCredential::with_refresh(options(&calls, &[]));
            let dead = multi_thread();
            let handle = dead.handle().clone();
            dead.shutdown_background();
            {
                let _entered = handle.enter();
                let (mut waiter, mut poll) = Waiter::start(&credential);
                // A dropped task wakes its waiter, which spawns again (and is refused once the
                // task list is closed): a few rounds at most.
                let mut rounds = 0;
                while poll.is_pending() {
                    rounds += 1;
                    assert!(rounds <= 3, "get_token keeps waiting on a dead runtime");
                    assert!(
                        waiter.flag.wait_woken(Duration::from_secs(5)),
                        "a waiter for a dropped task was not woken"
                    );
                    poll = waiter.poll();
                }
                match poll {
                    Poll::Ready(Err(CredentialError::NoRuntime)) => {}
                    other => panic!("{other:?}"),
                }
            }
            assert_eq!(calls.count(), 0);
            let token = get_token_on_a_healthy_runtime(&credential).unwrap();
            assert_eq!(token.expires_on().unix_timestamp(), expiry_of_call(1));
        }
    });
}
