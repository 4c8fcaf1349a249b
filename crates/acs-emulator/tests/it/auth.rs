//! HMAC verification and bearer tokens on the identity routes.

use crate::common;

use crate::common::{Auth, send, send_signed};
use acs_auth::{AccessKey, ConnectionString, HmacSigner};
use acs_emulator::{Clock as _, Emulator, ManualClock, RunningEmulator};
use http::{Method, StatusCode};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const START: OffsetDateTime = datetime!(2031-02-03 04:05:06 UTC);
const CREATE: &str = "/identities?api-version=2023-10-01";

async fn emulator(clock: &ManualClock) -> RunningEmulator {
    Emulator::builder()
        .clock(clock.clone())
        .start()
        .await
        .expect("the emulator starts")
}

/// A POST of `body` to `url`, signed with the emulator's key at the clock's time.
fn signed_post(
    emulator: &RunningEmulator,
    clock: &ManualClock,
    url: &str,
    body: &[u8],
) -> http::Request<Vec<u8>> {
    let mut request = http::Request::post(url).body(body.to_vec()).unwrap();
    emulator
        .signer()
        .sign_at(&mut request, clock.now())
        .unwrap();
    request
}

fn assert_denied(answer: &common::Answer, inner: &str) {
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.text);
    assert_eq!(answer.error_code(), "Denied");
    assert_eq!(answer.inner_code(), inner, "{}", answer.text);
    assert!(answer.json["error"]["message"].as_str().is_some());
}

#[tokio::test]
async fn the_connection_string_works_with_acs_auth() {
    let clock = ManualClock::new(START);
    let key: AccessKey = "ZW11bGF0b3Ita2V5LWZvci10ZXN0cw==".parse().unwrap();
    let emulator = Emulator::builder()
        .clock(clock.clone())
        .access_key(key.clone())
        .start()
        .await
        .unwrap();
    let parsed: ConnectionString = emulator.connection_string().parse().unwrap();
    assert_eq!(parsed.endpoint().as_str(), emulator.endpoint());
    assert_eq!(parsed.access_key(), &key);
    assert_eq!(
        emulator.endpoint(),
        format!("http://127.0.0.1:{}/", emulator.local_addr().port())
    );
    let answer = send(
        &emulator,
        Method::POST,
        CREATE,
        b"{}",
        Auth::HmacWith {
            signer: parsed.signer(),
            at: clock.now(),
        },
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
}

#[tokio::test]
async fn missing_or_malformed_authorization_is_401() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let answer = send(&emulator, Method::POST, CREATE, b"{}", Auth::None).await;
    assert_denied(&answer, "MissingAuthorization");
    for value in [
        "HMAC-SHA256 garbage",
        "Basic dXNlcjpwYXNz",
        "HMAC-SHA256 SignedHeaders=x-ms-date&Signature=abc",
    ] {
        let answer = send(
            &emulator,
            Method::POST,
            CREATE,
            b"{}",
            Auth::Raw(value.into()),
        )
        .await;
        assert_denied(&answer, "MalformedAuthorization");
    }
    let answer = send(
        &emulator,
        Method::POST,
        CREATE,
        b"{}",
        Auth::Raw("Bearer ".into()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(emulator.identities().is_empty());
}

#[tokio::test]
async fn a_wrong_key_is_a_signature_mismatch() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let stranger = HmacSigner::new(&AccessKey::from_bytes(vec![7_u8; 64]));
    let answer = send(
        &emulator,
        Method::POST,
        CREATE,
        b"{}",
        Auth::HmacWith {
            signer: stranger,
            at: clock.now(),
        },
    )
    .await;
    assert_denied(&answer, "SignatureMismatch");
}

#[tokio::test]
async fn a_tampered_body_or_path_is_rejected() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let url = format!("http://{}{CREATE}", emulator.local_addr());

    // Signed for `{}`, sent with another body: the content hash no longer matches.
    let mut request = signed_post(&emulator, &clock, &url, b"{}");
    *request.body_mut() = br#"{"createTokenWithScopes":["chat"]}"#.to_vec();
    assert_denied(&send_signed(request).await, "ContentHashMismatch");

    // Signed for one path, sent to another: the signature no longer matches.
    let mut request = signed_post(&emulator, &clock, &url, b"{}");
    *request.uri_mut() = format!(
        "http://{}/identities?api-version=2025-06-30",
        emulator.local_addr()
    )
    .parse()
    .unwrap();
    assert_denied(&send_signed(request).await, "SignatureMismatch");

    // Both: hash and signature recomputed for a body by someone without the key.
    let mut request = signed_post(&emulator, &clock, &url, b"{}");
    let forged = signed_post(&emulator, &clock, &url, b"{ }");
    let forged_hash = forged.headers()["x-ms-content-sha256"].clone();
    request
        .headers_mut()
        .insert("x-ms-content-sha256", forged_hash);
    *request.body_mut() = b"{ }".to_vec();
    assert_denied(&send_signed(request).await, "SignatureMismatch");

    assert!(emulator.identities().is_empty());
}

#[tokio::test]
async fn the_date_may_be_off_by_15_minutes_and_no_more() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    for (offset, accepted) in [
        (Duration::minutes(-14), true),
        (Duration::minutes(14), true),
        (Duration::minutes(-16), false),
        (Duration::minutes(16), false),
        (Duration::hours(-24), false),
    ] {
        let answer = send(
            &emulator,
            Method::POST,
            CREATE,
            b"{}",
            Auth::Hmac { at: START + offset },
        )
        .await;
        if accepted {
            assert_eq!(
                answer.status,
                StatusCode::CREATED,
                "{offset}: {}",
                answer.text
            );
        } else {
            assert_denied(&answer, "DateOutsideSkew");
        }
    }
    // The emulator's clock is what requests are compared with.
    clock.advance(Duration::hours(1));
    let late = send(
        &emulator,
        Method::POST,
        CREATE,
        b"{}",
        Auth::Hmac { at: START },
    )
    .await;
    assert_denied(&late, "DateOutsideSkew");
}

#[tokio::test]
async fn the_allowed_skew_is_configurable() {
    let clock = ManualClock::new(START);
    let emulator = Emulator::builder()
        .clock(clock.clone())
        .max_clock_skew(std::time::Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let at = START - Duration::minutes(2);
    let answer = send(&emulator, Method::POST, CREATE, b"{}", Auth::Hmac { at }).await;
    assert_denied(&answer, "DateOutsideSkew");
}

#[tokio::test]
async fn any_bearer_token_is_accepted_on_identity_routes() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let answer = send(
        &emulator,
        Method::POST,
        CREATE,
        b"",
        Auth::Bearer("any-entra-token".into()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED);
}

#[tokio::test]
async fn hmac_is_refused_on_the_entra_exchange_routes() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    for path in [
        "/access/entra/:exchangeAccessToken?api-version=2025-03-02-preview",
        "/access/teamsExtension/:exchangeAccessToken?api-version=2025-06-30",
    ] {
        let signed = send(
            &emulator,
            Method::POST,
            path,
            b"{}",
            Auth::Hmac { at: clock.now() },
        )
        .await;
        assert_denied(&signed, "MalformedAuthorization");
        let none = send(&emulator, Method::POST, path, b"{}", Auth::None).await;
        assert_denied(&none, "MissingAuthorization");
    }
}

#[test]
fn start_on_a_runtime_from_sync_code() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let emulator = Emulator::builder().start_on(runtime.handle()).unwrap();
    let answer = runtime.block_on(send(
        &emulator,
        Method::POST,
        CREATE,
        b"{}",
        Auth::Hmac {
            at: OffsetDateTime::now_utc(),
        },
    ));
    assert_eq!(answer.status, StatusCode::CREATED);
    drop(emulator);
    runtime.shutdown_background();
}
