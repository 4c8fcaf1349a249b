//! Not chat: the identity routes' answer to what the official Python SDK sends when its client
//! is built with an endpoint that ends in `/` (it signs `127.0.0.1:PORT/`, and sends
//! `Host: 127.0.0.1:PORT`).

use acs_auth::RequestParts;
use http::Method;

use super::support::Chat;

const PATH: &str = "/identities?api-version=2023-10-01";

/// Creates an identity with a request signed over `signed_host` and sent to the emulator.
async fn create_signed_over(chat: &Chat, signed_host: &str) -> super::support::Answer {
    let headers = chat
        .emulator
        .signer()
        .sign_parts(
            &RequestParts {
                method: "POST",
                host: signed_host,
                path_and_query: PATH,
                body: b"{}",
            },
            acs_emulator::Clock::now(&chat.clock),
        )
        .unwrap();
    let mut map = http::HeaderMap::new();
    headers.apply_to(&mut map);
    let pairs: Vec<(String, String)> = map
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    chat.raw(Method::POST, PATH, &pairs, b"{}".to_vec()).await
}

#[tokio::test]
async fn a_signature_over_the_endpoint_with_its_slash_gets_a_401_that_says_so() {
    let chat = Chat::start().await;
    let host = chat.emulator.local_addr().to_string();

    let answer = create_signed_over(&chat, &format!("{host}/")).await;
    answer.assert_error(401, "Denied", "SignatureMismatch");
    let message = answer.json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("computed over the host '{host}/'"))
            && message.contains(&format!("the request's Host is '{host}'"))
            && message.contains("remove the trailing '/'"),
        "{message}"
    );

    // Any other wrong host is the plain mismatch; the right one passes.
    let answer = create_signed_over(&chat, "contoso.communication.azure.com").await;
    answer.assert_error(401, "Denied", "SignatureMismatch");
    assert!(
        !answer.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("trailing")
    );
    create_signed_over(&chat, &host).await.assert_status(201);
}
