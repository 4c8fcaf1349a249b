//! Chat throughput: `POST /chat/threads/{thread}/messages` round trips through the emulator on
//! 127.0.0.1 over plain http (bearer-token check, membership, storing, the 201 answer), one at a
//! time and with many in flight; and the heap each stored message keeps.
//!
//! Everything (client and server) runs on one current-thread runtime on the benchmark thread,
//! so divan's allocation profiler sees the server's allocations too. Before the benchmarks, the
//! memory each stored message keeps is measured as the growth of the process's resident set
//! while 50 000 messages are stored (Linux), and printed.

use acs_emulator::{ChatLimits, Emulator, RunningEmulator};
use divan::Bencher;
use divan::counter::ItemsCount;
use serde_json::{Value, json};

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    report_memory_per_message();
    divan::main();
}

/// Messages stored to measure the memory each keeps.
const MEASURED_MESSAGES: usize = 50_000;

/// The resident set size of this process in bytes (Linux `/proc/self/statm`), if known.
fn resident_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Stores [`MEASURED_MESSAGES`] messages in one thread and prints the resident-set growth per
/// message (the emulator's whole cost: message, text, sender, vector slack, allocator overhead).
fn report_memory_per_message() {
    let setup = setup();
    // Warm up connections and buffers first, so only stored messages remain as growth.
    setup.runtime.block_on(send_batch(&setup, 1_000));
    let Some(before) = resident_bytes() else {
        eprintln!("memory per stored message: not measured (no /proc/self/statm)");
        return;
    };
    setup
        .runtime
        .block_on(send_batch(&setup, MEASURED_MESSAGES));
    let after = resident_bytes().unwrap_or(before);
    eprintln!(
        "memory per stored message ({} content bytes): {} bytes (resident set +{} KiB over {MEASURED_MESSAGES} messages)",
        CONTENT.len(),
        after.saturating_sub(before) / MEASURED_MESSAGES,
        after.saturating_sub(before) / 1024,
    );
}

/// Sends `count` messages, 16 at a time.
async fn send_batch(setup: &Setup, count: usize) {
    for _ in 0..count / 16 {
        let sends = (0..16).map(|_| send(&setup.client, &setup.url, &setup.authorization));
        futures::future::join_all(sends).await;
    }
}

/// A 100-byte message, metadata-free: a typical chat line.
const CONTENT: &str = "Hello from the benchmark: this line is exactly one hundred bytes long, padded out with text!!!!!!!!!";

struct Setup {
    runtime: tokio::runtime::Runtime,
    _emulator: RunningEmulator,
    client: reqwest::Client,
    url: String,
    authorization: String,
}

fn setup() -> Setup {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // No limit gets in the way of the benchmark's iterations.
    let emulator = Emulator::builder()
        .chat_limits(
            ChatLimits::default()
                .max_messages_per_thread(usize::MAX)
                .max_stored_bytes(usize::MAX),
        )
        .start_on(runtime.handle())
        .expect("the emulator starts");
    let client = reqwest::Client::new();
    let base = format!("http://{}", emulator.local_addr());
    let (url, authorization) = runtime.block_on(async {
        let mut request = http::Request::post(format!("{base}/identities?api-version=2025-06-30"))
            .body(br#"{"createTokenWithScopes":["chat"]}"#.to_vec())
            .expect("a request");
        emulator.signer().sign(&mut request).expect("signed");
        let created: Value = client
            .execute(reqwest::Request::try_from(request).expect("a reqwest request"))
            .await
            .expect("an answer")
            .json()
            .await
            .expect("JSON");
        let authorization = format!(
            "Bearer {}",
            created["accessToken"]["token"].as_str().expect("a token")
        );
        let thread: Value = client
            .post(format!("{base}/chat/threads?api-version=2024-03-07"))
            .header("authorization", &authorization)
            .json(&json!({ "topic": "bench" }))
            .send()
            .await
            .expect("an answer")
            .json()
            .await
            .expect("JSON");
        let id = thread["chatThread"]["id"].as_str().expect("a thread");
        let url = format!(
            "{base}/chat/threads/{}/messages?api-version=2024-03-07",
            id.replace(':', "%3A").replace('@', "%40")
        );
        (url, authorization)
    });
    Setup {
        runtime,
        _emulator: emulator,
        client,
        url,
        authorization,
    }
}

async fn send(client: &reqwest::Client, url: &str, authorization: &str) {
    let response = client
        .post(url)
        .header("authorization", authorization)
        .header("content-type", "application/json")
        .body(format!(r#"{{"content":"{CONTENT}","type":"text"}}"#))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 201);
    response.bytes().await.expect("a body");
}

/// One message at a time on a kept-alive connection: latency, and memory per stored message.
#[divan::bench(sample_count = 100, sample_size = 100)]
fn send_message(bencher: Bencher<'_, '_>) {
    let setup = setup();
    bencher.counter(ItemsCount::new(1_usize)).bench_local(|| {
        setup
            .runtime
            .block_on(send(&setup.client, &setup.url, &setup.authorization))
    });
}

/// `in_flight` messages sent together (over as many connections): throughput.
#[divan::bench(args = [8, 32], sample_count = 50, sample_size = 10)]
fn send_messages_concurrently(bencher: Bencher<'_, '_>, in_flight: usize) {
    let setup = setup();
    bencher.counter(ItemsCount::new(in_flight)).bench_local(|| {
        setup.runtime.block_on(async {
            let sends =
                (0..in_flight).map(|_| send(&setup.client, &setup.url, &setup.authorization));
            futures::future::join_all(sends).await;
        })
    });
}
