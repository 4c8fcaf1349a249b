//! The access key and minted tokens never reach Debug output, error bodies or tracing lines.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use crate::common::{Auth, send};
use acs_auth::AccessKey;
use acs_emulator::{Emulator, EmulatorError};
use http::{Method, StatusCode};
use time::OffsetDateTime;

const KEY_BASE64: &str = "c2VjcmV0LWtleS1tYXJrZXItZG8tbm90LWxlYWs=";

/// A tracing subscriber that writes every event's fields into one string.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<String>>);

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut text = self.0.lock().unwrap();
        span.record(&mut Fields(&mut text));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Fields(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut text = self.0.lock().unwrap();
        event.record(&mut Fields(&mut text));
        text.push('\n');
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn no_key_or_token_in_debug_errors_or_logs() {
    let capture = Capture::default();
    // With exactly one dispatcher registered, tracing works out a callsite's cached interest
    // from the dispatcher of whichever thread meets it first: in this test binary, often another
    // test's thread, which has none, so the callsite would stay off here. A second registered
    // dispatcher makes tracing ask every registered one instead.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let _guard = tracing::subscriber::set_default(capture.clone());
    // One thread: the server's log lines land in this thread's subscriber.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let key: AccessKey = KEY_BASE64.parse().unwrap();
        let builder = Emulator::builder().access_key(key);
        let builder_debug = format!("{builder:?}");
        let emulator = builder.start().await.unwrap();
        let connection_string = emulator.connection_string();
        assert!(connection_string.contains(KEY_BASE64));

        let now = OffsetDateTime::now_utc();
        let created = send(
            &emulator,
            Method::POST,
            "/identities?api-version=2025-06-30",
            br#"{"createTokenWithScopes":["chat"]}"#,
            Auth::Hmac { at: now },
        )
        .await;
        assert_eq!(created.status, StatusCode::CREATED);
        let token = created.json["accessToken"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let denied = send(
            &emulator,
            Method::POST,
            "/identities?api-version=2025-06-30",
            b"{}",
            Auth::Hmac {
                at: now - time::Duration::hours(1),
            },
        )
        .await;
        assert_eq!(denied.status, StatusCode::UNAUTHORIZED);

        let rendered = [
            builder_debug,
            format!("{emulator:?}"),
            format!("{:?}", emulator.requests()),
            format!("{:?}", emulator.access_key()),
            format!("{:?}", emulator.signer()),
            denied.text.clone(),
            capture.0.lock().unwrap().clone(),
        ];
        let logs = &rendered[6];
        assert!(
            logs.contains("acs-emulator answered"),
            "no log lines captured: {logs}"
        );
        let secret_pieces = [
            KEY_BASE64,
            &connection_string,
            &token,
            token.split('.').nth(1).unwrap(),
        ];
        for text in &rendered {
            for piece in secret_pieces {
                assert!(!text.contains(piece), "{text:?} leaks a secret");
            }
        }
        assert!(rendered[1].contains("<redacted>"));
    });
}

#[tokio::test]
async fn errors_name_the_problem_without_secrets() {
    let running = Emulator::start().await.unwrap();
    let taken = running.local_addr().port();
    let error = Emulator::builder().port(taken).start().await.unwrap_err();
    assert!(matches!(error, EmulatorError::Bind { .. }));
    assert!(error.to_string().contains(&taken.to_string()));
    assert!(std::error::Error::source(&error).is_some());

    for bad in ["", "with_underscore", "with:colon"] {
        let error = Emulator::builder()
            .resource_id(bad)
            .start()
            .await
            .unwrap_err();
        assert!(
            matches!(error, EmulatorError::InvalidSetting { .. }),
            "{bad:?}"
        );
    }
    let error = Emulator::builder()
        .token_lifetime(std::time::Duration::ZERO)
        .start()
        .await
        .unwrap_err();
    assert!(matches!(error, EmulatorError::InvalidSetting { .. }));
}
