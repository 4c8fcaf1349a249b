//! The `azure-core` feature: a credential handed to `azure_core` as a `TokenCredential`.

use std::error::Error as _;
use std::sync::Arc;

use acs_refresh::{CommunicationTokenCredential, CredentialError};
use acs_token::test_util::TokenBuilder;
use azure_core::credentials::TokenCredential;
use azure_core::error::ErrorKind;

#[tokio::test]
async fn serves_the_current_token_whatever_the_scopes_and_wraps_errors() {
    let jwt = TokenBuilder::new().exp(32_503_680_000).build();
    let credential = CommunicationTokenCredential::from_token(&jwt).unwrap();
    let as_azure: Arc<dyn TokenCredential> = Arc::new(credential.clone());

    for scopes in [&[][..], &["https://communication.azure.com//.default"][..]] {
        let token = as_azure.get_token(scopes, None).await.unwrap();
        assert_eq!(token.token.secret(), jwt);
        assert_eq!(token.expires_on.unix_timestamp(), 32_503_680_000);
    }

    credential.close();
    let error = as_azure.get_token(&[], None).await.unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::Credential), "{error:?}");
    let source = error.source().expect("the credential error is the source");
    assert!(matches!(
        source.downcast_ref::<CredentialError>(),
        Some(CredentialError::Closed)
    ));
}
