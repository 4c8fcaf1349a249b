//! Benchmarks of `get_token`.
//! `get_token` on a cached valid token (one and two threads; one credential, and eight used in
//! turn by each thread), the pieces its cost is made of (clock reads, cloning and dropping a
//! token), and 10 000 concurrent callers served by one 10 ms refresher call (multi-thread
//! runtime, 2 workers).

use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use acs_refresh::{AccessToken, CommunicationTokenCredential, CommunicationTokenRefreshOptions};
use acs_token::test_util::TokenBuilder;
use divan::{Bencher, black_box};
use time::OffsetDateTime;

fn main() {
    divan::main();
}

// The nanosecond-scale benchmarks fix their sample size: left to divan, a first call that
// initialises something lazily (a thread-local, the vDSO lookup) can make it choose one
// iteration per sample, which the timer's precision cannot measure.

fn typical_token(lifetime: Duration) -> String {
    TokenBuilder::acs_user(OffsetDateTime::now_utc(), lifetime).build()
}

// The cached benchmarks drop the token inside the measured call, as a caller does: returned
// instead, divan would drop it outside the timing.

/// Polls once: the cached path completes on its first poll.
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the cached path must not wait"),
    }
}

#[divan::bench(threads = [1, 2], sample_count = 200, sample_size = 2000)]
fn cached_fixed_token(bencher: Bencher<'_, '_>) {
    let credential =
        CommunicationTokenCredential::from_token(&typical_token(Duration::from_secs(86_400)))
            .unwrap();
    bencher.bench(|| {
        drop(black_box(
            ready(black_box(&credential).get_token()).unwrap(),
        ))
    });
}

#[divan::bench(threads = [1, 2], sample_count = 200, sample_size = 2000)]
fn cached_refreshing_token(bencher: Bencher<'_, '_>) {
    let initial: AccessToken = typical_token(Duration::from_secs(86_400)).parse().unwrap();
    let options = CommunicationTokenRefreshOptions::new(|| async {
        Ok::<_, std::io::Error>(typical_token(Duration::from_secs(86_400)))
    })
    .initial_token(initial);
    let credential = CommunicationTokenCredential::with_refresh(options);
    bencher.bench(|| {
        drop(black_box(
            ready(black_box(&credential).get_token()).unwrap(),
        ))
    });
}

/// Eight credentials used in turn by each thread.
#[divan::bench(threads = [1, 2], sample_count = 200, sample_size = 2000)]
fn cached_token_among_8_credentials(bencher: Bencher<'_, '_>) {
    let credentials: Vec<_> = (0..8)
        .map(|_| {
            let initial: AccessToken = typical_token(Duration::from_secs(86_400)).parse().unwrap();
            let options = CommunicationTokenRefreshOptions::new(|| async {
                Ok::<_, std::io::Error>(typical_token(Duration::from_secs(86_400)))
            })
            .initial_token(initial);
            CommunicationTokenCredential::with_refresh(options)
        })
        .collect();
    thread_local! {
        static TURN: Cell<usize> = const { Cell::new(0) };
    }
    bencher.bench(|| {
        let turn = TURN.with(|turn| {
            let current = turn.get();
            turn.set((current + 1) % 8);
            current
        });
        drop(black_box(
            ready(black_box(&credentials[turn]).get_token()).unwrap(),
        ));
    });
}

/// Reference point: one precise wall-clock read.
#[divan::bench(threads = [1, 2], sample_count = 200, sample_size = 2000)]
fn system_time_now() -> std::time::SystemTime {
    std::time::SystemTime::now()
}

/// Reference point: cloning a thread's own token and dropping the clone (two atomic
/// reference-count updates), the least a call returning an owned token can cost.
#[divan::bench(threads = [1, 2], sample_count = 200, sample_size = 2000)]
fn token_clone_and_drop() {
    thread_local! {
        static TOKEN: AccessToken = typical_token(Duration::from_secs(86_400)).parse().unwrap();
    }
    TOKEN.with(|token| drop(black_box(token.clone())));
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn ten_thousand_callers_one_10ms_refresh(bencher: Bencher<'_, '_>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    bencher
        .with_inputs(|| {
            let options = CommunicationTokenRefreshOptions::new(|| async {
                tokio::time::sleep(Duration::from_millis(10)).await;
                Ok::<_, std::io::Error>(typical_token(Duration::from_secs(3600)))
            });
            Arc::new(CommunicationTokenCredential::with_refresh(options))
        })
        .bench_local_values(|credential| {
            runtime.block_on(async move {
                let tasks: Vec<_> = (0..10_000)
                    .map(|_| {
                        let credential = Arc::clone(&credential);
                        tokio::spawn(async move { credential.get_token().await.unwrap() })
                    })
                    .collect();
                for task in tasks {
                    black_box(task.await.unwrap());
                }
            })
        });
}
