//! TLS mode: https with a self-signed certificate that clients trust through
//! `certificate_pem()`, HMAC over https, and what a client that does not speak TLS, or does not
//! trust the certificate, gets.

#![cfg(feature = "tls")]

use acs_auth::{ConnectionString, RequestParts};
use acs_emulator::{Emulator, Route, RunningEmulator, TokenStatus};
use acs_token::TokenClaims;
use serde_json::{Value, json};

const V: &str = "api-version=2023-10-01";

async fn tls_emulator() -> RunningEmulator {
    Emulator::builder()
        .tls(true)
        .start()
        .await
        .expect("the TLS emulator starts")
}

/// A client that trusts only `emulator`'s certificate, with every check on.
fn trusting(emulator: &RunningEmulator) -> reqwest::Client {
    let pem = emulator
        .certificate_pem()
        .expect("TLS mode has a certificate");
    let certificate = reqwest::Certificate::from_pem(pem.as_bytes()).expect("a PEM certificate");
    reqwest::Client::builder()
        .tls_certs_only([certificate])
        .https_only(true)
        .build()
        .expect("a client")
}

/// POSTs `body` to `path_and_query` under the connection string's endpoint, signed with its key.
async fn post_signed(
    client: &reqwest::Client,
    connection_string: &ConnectionString,
    path_and_query: &str,
    body: &Value,
) -> (reqwest::StatusCode, Value) {
    let url = connection_string.endpoint().join(path_and_query).unwrap();
    let mut request = http::Request::post(url.as_str())
        .body(body.to_string().into_bytes())
        .unwrap();
    connection_string.signer().sign(&mut request).unwrap();
    let response = client
        .execute(reqwest::Request::try_from(request).unwrap())
        .await
        .expect("the TLS emulator answers a client that trusts its certificate");
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn create_user_and_issue_a_token_over_https() {
    let emulator = tls_emulator().await;
    let port = emulator.local_addr().port();
    assert_eq!(
        emulator.endpoint(),
        format!("https://127.0.0.1:{port}/"),
        "the endpoint says https"
    );
    let connection_string: ConnectionString = emulator.connection_string().parse().unwrap();
    assert_eq!(connection_string.endpoint().scheme(), "https");
    let pem = emulator.certificate_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert!(
        !pem.contains("PRIVATE KEY"),
        "only the certificate is handed out"
    );

    let client = trusting(&emulator);
    let (status, created) = post_signed(
        &client,
        &connection_string,
        &format!("identities?{V}"),
        &json!({}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["identity"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with(&format!("8:acs:{}_", emulator.resource_id())));

    let (status, issued) = post_signed(
        &client,
        &connection_string,
        &format!(
            "identities/{}/:issueAccessToken?{V}",
            id.replace(':', "%3A")
        ),
        &json!({"scopes": ["chat", "voip"], "expiresInMinutes": 60}),
    )
    .await;
    assert_eq!(status, 200, "{issued}");
    let token = issued["token"].as_str().unwrap();
    assert_eq!(
        TokenClaims::decode(token).unwrap().acs_scopes,
        ["chat", "voip"]
    );
    assert_eq!(emulator.token_status(token), TokenStatus::Valid);
    assert_eq!(emulator.tokens_issued(&id), 1);
    assert_eq!(emulator.request_count(Route::IssueAccessToken), 1);
}

#[tokio::test]
async fn the_signed_host_includes_the_port() {
    let emulator = tls_emulator().await;
    let port = emulator.local_addr().port();
    let client = trusting(&emulator);
    let path_and_query = format!("/identities?{V}");
    let send_signed_for = |host: String| {
        let request = {
            let headers = emulator
                .signer()
                .sign_parts(
                    &RequestParts {
                        method: "POST",
                        host: &host,
                        path_and_query: &path_and_query,
                        body: b"{}",
                    },
                    time::OffsetDateTime::now_utc(),
                )
                .unwrap();
            let mut request = http::Request::post(format!("{}identities?{V}", emulator.endpoint()))
                .body(b"{}".to_vec())
                .unwrap();
            headers.apply_to(request.headers_mut());
            reqwest::Request::try_from(request).unwrap()
        };
        let client = client.clone();
        async move { client.execute(request).await.unwrap() }
    };

    // https on a port other than 443: the Host header, and so the signed host, carry the port.
    let with_port = send_signed_for(format!("127.0.0.1:{port}")).await;
    assert_eq!(with_port.status(), 201);

    let without_port = send_signed_for("127.0.0.1".to_owned()).await;
    assert_eq!(without_port.status(), 401);
    let body: Value = without_port.json().await.unwrap();
    assert_eq!(body["error"]["innererror"]["code"], "SignatureMismatch");
}

#[tokio::test]
async fn the_certificate_is_valid_for_localhost_too() {
    let emulator = tls_emulator().await;
    let port = emulator.local_addr().port();
    let key = base64_key(&emulator);
    let connection_string: ConnectionString =
        format!("endpoint=https://localhost:{port}/;accesskey={key}")
            .parse()
            .unwrap();
    let (status, created) = post_signed(
        &trusting(&emulator),
        &connection_string,
        &format!("identities?{V}"),
        &json!({}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
}

#[tokio::test]
async fn plain_http_to_a_tls_emulator_fails_and_it_keeps_serving_https() {
    let emulator = tls_emulator().await;
    let plain = reqwest::Client::new()
        .post(format!("http://{}/identities?{V}", emulator.local_addr()))
        .body("{}")
        .send()
        .await;
    assert!(plain.is_err(), "plain http got an answer: {plain:?}");
    assert!(emulator.requests().is_empty(), "no request was answered");

    let connection_string: ConnectionString = emulator.connection_string().parse().unwrap();
    let (status, _) = post_signed(
        &trusting(&emulator),
        &connection_string,
        &format!("identities?{V}"),
        &json!({}),
    )
    .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn each_instance_has_its_own_certificate_and_a_client_trusting_another_is_refused() {
    let emulator = tls_emulator().await;
    let other = tls_emulator().await;
    assert_ne!(emulator.certificate_pem(), other.certificate_pem());

    let refused = trusting(&other)
        .post(format!("{}identities?{V}", emulator.endpoint()))
        .body("{}")
        .send()
        .await;
    let error = refused.expect_err("a certificate the client does not trust is refused");
    assert!(error.is_connect(), "{error:?}");
    assert!(emulator.requests().is_empty());
}

#[tokio::test]
async fn http_stays_the_default() {
    let emulator = Emulator::start().await.unwrap();
    assert!(emulator.endpoint().starts_with("http://127.0.0.1:"));
    assert_eq!(emulator.certificate_pem(), None);
    assert!(format!("{:?}", Emulator::builder()).contains("tls: false"));
    assert!(format!("{:?}", Emulator::builder().tls(true)).contains("tls: true"));
}

fn base64_key(emulator: &RunningEmulator) -> String {
    let connection_string = emulator.connection_string();
    let (_, key) = connection_string
        .split_once(";accesskey=")
        .expect("endpoint=...;accesskey=...");
    key.to_owned()
}
