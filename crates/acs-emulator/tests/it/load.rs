//! A load and soak run against the emulator binary on 127.0.0.1 (ignored: it takes minutes).
//!
//! ```text
//! cargo test --release -p acs-emulator --test it -- --ignored --nocapture load_and_soak
//! ```
//!
//! Settings from the environment: `LOAD_SECS` (60), `LOAD_CLIENTS` (256), `LOAD_DATA_DIR` (1:
//! run with `--data-dir`), `LOAD_CREATE_EVERY` (10: one request in N creates an identity, the
//! others issue tokens), `LOAD_GARBAGE` (0; 1: one request in 4 is garbage: a 60 KB path, a
//! bad signature, no api-version, a body that is not JSON). It prints throughput, p50/p99
//! latency and the emulator's resident memory every 5 s, and fails on any unexpected answer
//! or when memory grows more than the identities created can explain.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use acs_auth::ConnectionString;

use crate::cli::{signed, start_binary};
use crate::common::{ScratchDir, encode};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The resident memory of process `pid`, in KiB.
fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[derive(Default)]
struct Counts {
    ok: AtomicU64,
    garbage: AtomicU64,
    created: AtomicU64,
    failed: AtomicU64,
}

#[test]
#[ignore = "a load run of minutes: run it on purpose (see the module docs)"]
fn load_and_soak() {
    run_load(
        setting("LOAD_SECS", 60),
        setting("LOAD_CLIENTS", 256),
        setting("LOAD_DATA_DIR", 1) == 1,
        setting("LOAD_CREATE_EVERY", 10).max(1),
        setting("LOAD_GARBAGE", 0) == 1,
    );
}

/// The same, short enough for every test run: 32 clients for 2 s with a data directory and
/// garbage, and not one unexpected answer (no memory figure: too short to mean anything).
#[test]
fn a_short_mixed_load_has_no_failures() {
    run_load(2, 32, true, 10, true);
}

fn run_load(seconds: u64, clients: u64, with_data_dir: bool, create_every: u64, garbage: bool) {
    let dir = ScratchDir::new("load");
    let data_dir = dir.0.to_str().unwrap().to_owned();
    let mut args = vec!["--request-log", "1000"];
    if with_data_dir {
        args.extend(["--data-dir", &data_dir]);
    }
    let (child, lines, _, connection_string) = start_binary(&args, &[]);
    let pid = child.0.id();
    let connection_string = Arc::new(connection_string);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let counts = Arc::new(Counts::default());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let (latencies, samples) = runtime.block_on(async {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(clients as usize)
            .build()
            .unwrap();
        let mut tasks = Vec::new();
        for client in 0..clients {
            let (http, counts, connection_string) = (
                http.clone(),
                Arc::clone(&counts),
                Arc::clone(&connection_string),
            );
            tasks.push(tokio::spawn(async move {
                run_client(
                    client,
                    &http,
                    &connection_string,
                    &counts,
                    deadline,
                    create_every,
                    garbage,
                )
                .await
            }));
        }
        let sampler = tokio::spawn(async move {
            let mut samples = Vec::new();
            while Instant::now() < deadline {
                samples.push((started.elapsed().as_secs(), resident_kib(pid)));
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            samples.push((started.elapsed().as_secs(), resident_kib(pid)));
            samples
        });
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await.unwrap());
        }
        (latencies, sampler.await.unwrap())
    });
    let elapsed = started.elapsed().as_secs_f64();
    drop(child);
    drop(lines);

    let mut latencies = latencies;
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let ok = counts.ok.load(Ordering::Relaxed);
    let bad = counts.garbage.load(Ordering::Relaxed);
    let created = counts.created.load(Ordering::Relaxed);
    let failed = counts.failed.load(Ordering::Relaxed);
    println!(
        "load: {clients} clients, {seconds} s, data dir: {with_data_dir}, one create in {create_every}, garbage: {garbage}"
    );
    println!(
        "requests: {} valid ({created} identities created), {bad} garbage answered as expected, {failed} failed",
        ok
    );
    println!(
        "throughput: {:.0} requests/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        (ok + bad) as f64 / elapsed,
        percentile(0.50) as f64 / 1000.0,
        percentile(0.99) as f64 / 1000.0,
        latencies.last().copied().unwrap_or_default() as f64 / 1000.0
    );
    println!("emulator RSS (s, KiB): {samples:?}");
    assert_eq!(failed, 0, "requests failed");

    // Flat: after warm-up (the first sample past 10 s), memory grows by no more than what the
    // identities created since can explain (generously 1 KiB each) plus 16 MiB of slack.
    if let Some(&(at, warm)) = samples.iter().find(|(at, _)| *at >= 10) {
        let (_, last) = *samples.last().unwrap();
        let created_after = created as f64 * (seconds.saturating_sub(at) as f64 / seconds as f64);
        let allowed = warm as f64 + created_after + 16.0 * 1024.0;
        assert!(
            (last as f64) <= allowed,
            "RSS grew from {warm} KiB to {last} KiB (allowed {allowed:.0})"
        );
    }
}

async fn run_client(
    client: u64,
    http: &reqwest::Client,
    connection_string: &ConnectionString,
    counts: &Counts,
    deadline: Instant,
    create_every: u64,
    garbage: bool,
) -> Vec<u32> {
    let mut latencies = Vec::new();
    let mut identity: Option<String> = None;
    let mut round: u64 = client;
    let long_path = format!("/{}", "x".repeat(60 * 1024));
    while Instant::now() < deadline {
        round += 1;
        let started = Instant::now();
        if garbage && round.is_multiple_of(4) {
            let endpoint = connection_string.endpoint().as_str().trim_end_matches('/');
            let (request, expected): (reqwest::RequestBuilder, u16) = match (round / 4) % 4 {
                0 => (http.get(format!("{endpoint}{long_path}")), 404),
                1 => (
                    http.post(format!("{endpoint}/identities?api-version=2023-10-01"))
                        .header("x-ms-date", "Fri, 04 Dec 2026 12:00:00 GMT")
                        .header("x-ms-content-sha256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
                        .header(
                            "authorization",
                            "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=AAAA",
                        ),
                    401,
                ),
                2 => (http.post(format!("{endpoint}/identities")), 400),
                _ => {
                    let request = signed(connection_string, "identities?api-version=2023-10-01", b"{not json");
                    (
                        http.request(request.method().clone(), request.uri().to_string())
                            .headers(request.headers().clone())
                            .body(request.body().clone()),
                        400,
                    )
                }
            };
            match request.send().await {
                Ok(response) if response.status().as_u16() == expected => {
                    let _ = response.bytes().await;
                    counts.garbage.fetch_add(1, Ordering::Relaxed);
                }
                Ok(response) => {
                    eprintln!("garbage got {}", response.status());
                    counts.failed.fetch_add(1, Ordering::Relaxed);
                }
                Err(error) => {
                    eprintln!("garbage request failed: {error}");
                    counts.failed.fetch_add(1, Ordering::Relaxed);
                }
            }
            latencies.push(started.elapsed().as_micros() as u32);
            continue;
        }
        let create = identity.is_none() || round.is_multiple_of(create_every);
        let request = match &identity {
            Some(id) if !create => signed(
                connection_string,
                &format!(
                    "identities/{}/:issueAccessToken?api-version=2023-10-01",
                    encode(id)
                ),
                br#"{"scopes":["chat","voip"]}"#,
            ),
            _ => signed(
                connection_string,
                "identities?api-version=2023-10-01",
                b"{}",
            ),
        };
        let expected = if create { 201 } else { 200 };
        match http
            .execute(reqwest::Request::try_from(request).unwrap())
            .await
        {
            Ok(response) if response.status().as_u16() == expected => {
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                if create {
                    identity = body["identity"]["id"].as_str().map(str::to_owned);
                    counts.created.fetch_add(1, Ordering::Relaxed);
                }
                counts.ok.fetch_add(1, Ordering::Relaxed);
            }
            Ok(response) => {
                eprintln!("got {}", response.status());
                counts.failed.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => {
                eprintln!("request failed: {error}");
                counts.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
        latencies.push(started.elapsed().as_micros() as u32);
    }
    latencies
}
