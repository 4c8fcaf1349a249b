//! Connections are held to time: a client that sends half a request, or nothing, is dropped,
//! and a stop waits for requests in flight only up to its deadline.

use std::time::Duration;

use acs_emulator::{Emulator, Fault, Route, RunningEmulator};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Connects, writes `sent`, and reads until the emulator closes the connection.
async fn send_then_read_all(emulator: &RunningEmulator, sent: &str) -> (String, Duration) {
    let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
    stream.write_all(sent.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test(start_paused = true)]
async fn half_the_headers_are_dropped_after_the_header_timeout() {
    let emulator = Emulator::builder()
        .header_read_timeout(Duration::from_secs(10))
        .start()
        .await
        .unwrap();
    let (answer, waited) = send_then_read_all(
        &emulator,
        "POST /identities HTTP/1.1\r\nHost: 127.0.0.1\r\nCont",
    )
    .await;
    assert!(!answer.contains("201"), "{answer}");
    assert!(waited >= Duration::from_secs(10), "{waited:?}");
    assert!(waited < Duration::from_secs(60), "{waited:?}");
}

#[tokio::test(start_paused = true)]
async fn half_a_body_gets_408_and_the_connection_closes() {
    let emulator = Emulator::start().await.unwrap();
    let (answer, waited) = send_then_read_all(
        &emulator,
        "POST /identities?api-version=2025-06-30 HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"create",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(waited >= Duration::from_secs(30), "{waited:?}");
}

#[tokio::test(start_paused = true)]
async fn a_silent_connection_is_closed_when_idle() {
    let emulator = Emulator::builder()
        .header_read_timeout(Duration::from_secs(3600))
        .idle_timeout(Duration::from_secs(20))
        .start()
        .await
        .unwrap();
    let (answer, waited) = send_then_read_all(&emulator, "").await;
    assert!(answer.is_empty());
    assert!(waited >= Duration::from_secs(20), "{waited:?}");
    assert!(waited < Duration::from_secs(3600), "{waited:?}");

    // A keep-alive connection that was answered is closed once idle too.
    let (answer, waited) = send_then_read_all(
        &emulator,
        "GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(waited >= Duration::from_secs(20), "{waited:?}");
    assert!(waited < Duration::from_secs(3600), "{waited:?}");
}

/// `shutdown()` used to wait forever for a client that sent half a request, or for a request
/// held by a long delay: now it waits at most the shutdown timeout, then drops the connections.
#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_requests_in_flight_only_until_its_deadline() {
    let emulator = Emulator::builder()
        .header_read_timeout(Duration::from_secs(3600))
        .idle_timeout(Duration::from_secs(3600))
        .shutdown_timeout(Duration::from_secs(5))
        .fault(Fault::delay(Duration::from_secs(3600)).on(Route::CreateIdentity))
        .start()
        .await
        .unwrap();
    let address = emulator.local_addr();
    let mut half = TcpStream::connect(address).await.unwrap();
    half.write_all(b"POST /identities HTTP/1.1\r\nHost: 127.0.0.1\r\nCont")
        .await
        .unwrap();
    let mut held = TcpStream::connect(address).await.unwrap();
    held.write_all(
        b"POST /identities?api-version=2025-06-30 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
    )
    .await
    .unwrap();
    // The held request has reached the emulator once it has used the fault.
    while emulator.pending_faults() > 0 {
        tokio::task::yield_now().await;
    }
    let started = Instant::now();
    emulator.shutdown().await;
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(5), "{waited:?}");
    assert!(waited < Duration::from_secs(3600), "{waited:?}");
    for mut stream in [half, held] {
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        assert!(!String::from_utf8_lossy(&answer).contains("201"));
    }
    assert!(TcpStream::connect(address).await.is_err());
}

#[tokio::test(start_paused = true)]
async fn a_request_in_flight_finishes_within_the_deadline() {
    let emulator = Emulator::builder()
        .shutdown_timeout(Duration::from_secs(30))
        .fault(Fault::delay(Duration::from_secs(2)).on(Route::CreateIdentity))
        .start()
        .await
        .unwrap();
    let address = emulator.local_addr();
    let client = tokio::spawn(async move {
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream
            .write_all(
                b"POST /identities?api-version=2025-06-30 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
            )
            .await
            .unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        String::from_utf8_lossy(&answer).into_owned()
    });
    while emulator.pending_faults() > 0 {
        tokio::task::yield_now().await;
    }
    let started = Instant::now();
    emulator.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(30));
    // Unsigned, so 401; what matters is that it was answered before the server stopped.
    let answer = client.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

#[tokio::test]
async fn zero_timeouts_are_refused() {
    for builder in [
        Emulator::builder().header_read_timeout(Duration::ZERO),
        Emulator::builder().idle_timeout(Duration::ZERO),
    ] {
        let error = builder.start().await.unwrap_err();
        assert!(
            matches!(error, acs_emulator::EmulatorError::InvalidSetting { .. }),
            "{error:?}"
        );
    }
    // A zero shutdown timeout is allowed: stop drops connections at once.
    let emulator = Emulator::builder()
        .shutdown_timeout(Duration::ZERO)
        .start()
        .await
        .unwrap();
    emulator.shutdown().await;
}

/// The body deadline is the server's, so it holds on every route, the Chat service's included.
#[tokio::test(start_paused = true)]
async fn half_a_body_on_a_chat_route_is_given_up_too() {
    let emulator = Emulator::builder()
        .header_read_timeout(Duration::from_secs(3600))
        .idle_timeout(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let (answer, waited) = send_then_read_all(
        &emulator,
        "POST /chat/threads?api-version=2024-03-07 HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Authorization: Bearer x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\
         Connection: close\r\n\r\n{\"topic",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    assert!(waited >= Duration::from_secs(30), "{waited:?}");
    assert!(waited < Duration::from_secs(3600), "{waited:?}");
}
