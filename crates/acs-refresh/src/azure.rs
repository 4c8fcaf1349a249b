//! `azure_core` integration (feature `azure-core`).

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::error::{Error, ErrorKind};

use crate::CommunicationTokenCredential;

/// Lets a [`CommunicationTokenCredential`] be handed to `azure_core` pipelines and clients.
///
/// ACS user tokens are not scoped per request: `scopes` and `options` are ignored and the
/// credential's current token is returned. Errors are `azure_core` errors of kind
/// [`ErrorKind::Credential`] whose source is the [`CredentialError`](crate::CredentialError).
#[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
#[cfg_attr(not(target_arch = "wasm32"), async_trait)]
impl TokenCredential for CommunicationTokenCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let token = CommunicationTokenCredential::get_token(self)
            .await
            .map_err(|error| Error::new(ErrorKind::Credential, error))?;
        Ok(AccessToken::new(
            token.token().to_owned(),
            token.expires_on(),
        ))
    }
}
