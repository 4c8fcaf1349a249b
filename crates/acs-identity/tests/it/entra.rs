//! Entra ID authentication (feature `entra`): a bearer token for the ACS scope on every request.

#![cfg(feature = "entra")]

use std::sync::Arc;

use acs_emulator::{Emulator, Route};
use acs_entra::test_util::FakeEntraCredential;
use acs_identity::{
    CommunicationIdentityClient, CommunicationTokenScope, ENTRA_SCOPE, IdentityError,
};

/// The bearer token the fake Entra credential hands out.
const ENTRA_BEARER_TOKEN: &str = "entra-bearer-token-for-tests";

#[tokio::test]
async fn every_operation_works_with_an_entra_bearer_token() {
    let emulator = Emulator::start().await.unwrap();
    let credential = Arc::new(FakeEntraCredential::new(ENTRA_BEARER_TOKEN));
    let client = CommunicationIdentityClient::builder(emulator.endpoint(), credential.clone())
        .build()
        .unwrap();
    assert!(format!("{client:?}").contains("EntraId"));

    let (user, token) = client
        .create_user_and_token([CommunicationTokenScope::Chat], None)
        .await
        .unwrap();
    assert!(emulator.is_token_valid(token.token()));
    client
        .get_token(&user, [CommunicationTokenScope::VoIp], None)
        .await
        .unwrap();
    client.revoke_tokens(&user).await.unwrap();
    client.delete_user(&user).await.unwrap();

    let asked = credential.scopes_seen();
    assert_eq!(asked.len(), 4, "one Entra token per operation");
    assert!(asked.iter().all(|scopes| scopes == &[ENTRA_SCOPE]));
    assert_eq!(ENTRA_SCOPE, "https://communication.azure.com//.default");
    assert_eq!(emulator.request_count(Route::DeleteIdentity), 1);
}

#[tokio::test]
async fn a_failing_credential_is_a_typed_error_and_nothing_is_sent() {
    let emulator = Emulator::start().await.unwrap();
    let credential = Arc::new(FakeEntraCredential::new(ENTRA_BEARER_TOKEN));
    credential.fail_with("no Entra ID sign-in available");
    let client = CommunicationIdentityClient::builder(emulator.endpoint(), credential)
        .build()
        .unwrap();

    let error = client.create_user().await.unwrap_err();

    assert!(
        matches!(error, IdentityError::EntraCredential { .. }),
        "{error:?}"
    );
    assert!(emulator.requests().is_empty());
}

#[test]
fn an_insecure_endpoint_is_refused() {
    let credential = Arc::new(FakeEntraCredential::new(ENTRA_BEARER_TOKEN));
    let error =
        CommunicationIdentityClient::builder("http://contoso.communication.azure.com", credential)
            .build()
            .unwrap_err();
    assert!(matches!(error, IdentityError::Endpoint(_)), "{error:?}");
}

#[test]
fn either_authentication_shows_no_secret() {
    let key: acs_identity::AccessKey = "c2VjcmV0LWtleQ==".parse().unwrap();
    let by_key = acs_identity::IdentityAuthentication::from(key);
    let by_entra = acs_identity::IdentityAuthentication::from(Arc::new(FakeEntraCredential::new(
        ENTRA_BEARER_TOKEN,
    )));
    let text = format!("{by_key:?} {by_entra:?}");
    assert_eq!(text, "AccessKey(AccessKey(<redacted>)) TokenCredential(..)");
}
