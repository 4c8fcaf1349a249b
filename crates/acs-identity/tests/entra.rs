//! Entra ID authentication (feature `entra`): a bearer token for the ACS scope on every request.

#![cfg(feature = "entra")]

mod common;

use std::sync::{Arc, Mutex};

use acs_emulator::{Emulator, Route};
use acs_identity::{
    CommunicationIdentityClient, CommunicationTokenScope, ENTRA_SCOPE, IdentityError,
};
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use time::OffsetDateTime;

/// A credential that hands out a fixed bearer token (or fails) and records the scopes asked for.
#[derive(Debug, Default)]
struct FixedCredential {
    fail: bool,
    asked: Mutex<Vec<Vec<String>>>,
}

#[async_trait::async_trait]
impl TokenCredential for FixedCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.asked
            .lock()
            .unwrap()
            .push(scopes.iter().map(|s| s.to_string()).collect());
        if self.fail {
            return Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                "no Entra ID sign-in available",
            ));
        }
        Ok(AccessToken::new(
            "entra-bearer-token-for-tests",
            OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
}

#[tokio::test]
async fn every_operation_works_with_an_entra_bearer_token() {
    let emulator = Emulator::start().await.unwrap();
    let credential = Arc::new(FixedCredential::default());
    let client =
        CommunicationIdentityClient::with_token_credential(emulator.endpoint(), credential.clone())
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

    let asked = credential.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 4, "one Entra token per operation");
    assert!(asked.iter().all(|scopes| scopes == &[ENTRA_SCOPE]));
    assert_eq!(ENTRA_SCOPE, "https://communication.azure.com//.default");
    assert_eq!(emulator.request_count(Route::DeleteIdentity), 1);
}

#[tokio::test]
async fn a_failing_credential_is_a_typed_error_and_nothing_is_sent() {
    let emulator = Emulator::start().await.unwrap();
    let credential = Arc::new(FixedCredential {
        fail: true,
        ..FixedCredential::default()
    });
    let client =
        CommunicationIdentityClient::with_token_credential(emulator.endpoint(), credential)
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
    let credential = Arc::new(FixedCredential::default());
    let error = CommunicationIdentityClient::with_token_credential(
        "http://contoso.communication.azure.com",
        credential,
    )
    .unwrap_err();
    assert!(matches!(error, IdentityError::Endpoint(_)), "{error:?}");
}
