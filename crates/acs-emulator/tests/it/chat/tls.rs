//! Chat over the TLS mode (what both official SDKs need: they refuse bearer tokens over http):
//! the certificate is trusted, not ignored, and Locations and nextLinks say https.

#![cfg(feature = "tls")]

use acs_auth::ConnectionString;
use acs_emulator::Emulator;
use serde_json::{Value, json};

#[tokio::test]
async fn chat_works_over_https_with_https_links() {
    let emulator = Emulator::builder().tls(true).start().await.unwrap();
    let pem = emulator.certificate_pem().unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()])
        .https_only(true)
        .build()
        .unwrap();
    let connection_string: ConnectionString = emulator.connection_string().parse().unwrap();
    let url = connection_string
        .endpoint()
        .join("identities?api-version=2023-10-01")
        .unwrap();
    let mut request = http::Request::post(url.as_str())
        .body(br#"{"createTokenWithScopes":["chat"]}"#.to_vec())
        .unwrap();
    connection_string.signer().sign(&mut request).unwrap();
    let created: Value = client
        .execute(reqwest::Request::try_from(request).unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let authorization = format!(
        "Bearer {}",
        created["accessToken"]["token"].as_str().unwrap()
    );
    let endpoint = emulator.endpoint().trim_end_matches('/').to_owned();

    let response = client
        .post(format!("{endpoint}/chat/threads?api-version=2025-03-15"))
        .header("authorization", &authorization)
        .json(&json!({ "topic": "over https" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{endpoint}/chat/threads/19%3A")),
        "{location}"
    );

    let page: Value = client
        .get(format!(
            "{location}/messages?maxPageSize=1&api-version=2025-03-15"
        ))
        .header("authorization", &authorization)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let next = page["nextLink"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{endpoint}/chat/threads/")),
        "{next}"
    );
    let rest: Value = client
        .get(next)
        .header("authorization", &authorization)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest["value"][0]["type"], "participantAdded");
}
