//! No token text reaches an error, a `Debug` output or a log line.
//!
//! In a test binary of its own: `tracing` caches per call site, process-wide, whether anyone
//! listens, so a test running in parallel without a subscriber could hide the events this test
//! checks.

use std::error::Error as _;
use std::sync::Arc;

use crate::common::*;
use acs_entra::communication_token_credential;
use acs_http::test_util::Reply;
use acs_refresh::test_util::{LogCapture, interest_in_every_callsite};

#[tokio::test(start_paused = true)]
async fn no_token_text_in_errors_debug_or_logs() {
    interest_in_every_callsite();
    let (captured, _guard) = LogCapture::install();

    let service = ExchangeService::start().await;
    let entra = Arc::new(FakeEntraCredential::new(ENTRA_TOKEN_1));
    let options = options(&service, &entra).refresh_proactively(false);
    let mut rendered = format!("{options:?}");
    let credential = communication_token_credential(options.clone()).expect("credential");
    let token = credential.get_token().await.expect("token");
    rendered.push_str(&format!("{token:?} {credential:?}"));
    let exchange = acs_entra::EntraTokenExchange::new(&options).expect("exchange");
    rendered.push_str(&format!("{exchange:?}"));

    // Failures of every kind, with the Entra token in the request each time.
    service.server.enqueue(
        Reply::acs_error(401, "InvalidAccessToken", "bad token").header("retry-after", "0"),
    );
    service
        .server
        .enqueue(Reply::status(503).header("retry-after", "0"));
    service
        .server
        .enqueue(Reply::status(503).header("retry-after", "0"));
    service
        .server
        .enqueue(Reply::status(503).header("retry-after", "0"));
    service
        .server
        .enqueue(Reply::status(503).header("retry-after", "0"));
    service.server.enqueue(Reply::json(
        200,
        serde_json::json!({"accessToken": "ACS-SECRET-inline"}),
    ));
    let mut errors = Vec::new();
    for i in 0..3 {
        // A new Entra token each time forces an exchange (a refused one is never sent again).
        entra.rotate(format!("entra-SECRET-rotated-{i}"));
        errors.push(exchange.exchange().await.expect_err("failure"));
        entra.rotate(ENTRA_TOKEN_1);
    }
    entra.fail_with("credential failure");
    errors.push(exchange.exchange().await.expect_err("entra failure"));
    for error in &errors {
        rendered.push_str(&format!("{error} {error:?}"));
        let mut source = error.source();
        while let Some(s) = source {
            rendered.push_str(&format!(" {s} {s:?}"));
            source = s.source();
        }
    }
    let logs = captured.text();
    assert!(
        logs.contains("exchang"),
        "expected exchange log lines, got {logs:?}"
    );
    assert!(
        logs.contains("retrying"),
        "expected retry log lines, got {logs:?}"
    );

    let acs = token.token();
    for text in [&rendered, &logs] {
        assert!(!text.contains("SECRET"), "token text leaked: {text}");
        for piece in acs.split('.').filter(|p| p.len() >= 8) {
            assert!(!text.contains(piece), "ACS token text leaked: {text}");
        }
    }
}
