//! Benchmarks of `get_token`.
//! `get_token` on a cached valid token (one and two threads), and 10 000 concurrent callers
//! served by one 10 ms refresher call (multi-thread runtime, 2 workers).

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

fn typical_token(lifetime: Duration) -> String {
    TokenBuilder::acs_user(OffsetDateTime::now_utc(), lifetime).build()
}

/// Polls once: the cached path completes on its first poll.
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the cached path must not wait"),
    }
}

#[divan::bench(threads = [1, 2])]
fn cached_fixed_token(bencher: Bencher<'_, '_>) {
    let credential =
        CommunicationTokenCredential::from_token(&typical_token(Duration::from_secs(86_400)))
            .unwrap();
    bencher.bench(|| ready(black_box(&credential).get_token()).unwrap());
}

#[divan::bench(threads = [1, 2])]
fn cached_refreshing_token(bencher: Bencher<'_, '_>) {
    let initial: AccessToken = typical_token(Duration::from_secs(86_400)).parse().unwrap();
    let options = CommunicationTokenRefreshOptions::new(|| async {
        Ok::<_, std::io::Error>(typical_token(Duration::from_secs(86_400)))
    })
    .initial_token(initial);
    let credential = CommunicationTokenCredential::with_refresh(options);
    bencher.bench(|| ready(black_box(&credential).get_token()).unwrap());
}

/// Reference point: one wall-clock read, which the cached path does once.
#[divan::bench(threads = [1, 2])]
fn system_time_now() -> std::time::SystemTime {
    std::time::SystemTime::now()
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
