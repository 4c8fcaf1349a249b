use acs_refresh::{CommunicationTokenCredential, CommunicationTokenRefreshOptions};

use crate::error::EntraError;
use crate::exchange::EntraTokenExchange;
use crate::options::EntraCommunicationTokenCredentialOptions;

/// A [`CommunicationTokenCredential`] that gets its ACS tokens by exchanging Microsoft Entra
/// tokens, refreshed by the shared `acs-refresh` engine (single flight, proactive window,
/// back-off on failure).
///
/// With [`refresh_proactively`](EntraCommunicationTokenCredentialOptions::refresh_proactively)
/// (the default) and a Tokio runtime, the first exchange starts at once (pre-warm).
///
/// # Errors
/// [`EntraError::Endpoint`] for an invalid endpoint, [`EntraError::HttpClient`] when the HTTP
/// client cannot be built. Exchange failures surface later, from `get_token`, as a
/// [`CredentialError::Refresher`](acs_refresh::CredentialError::Refresher) whose source is
/// the [`EntraError`].
pub fn communication_token_credential(
    options: EntraCommunicationTokenCredentialOptions,
) -> Result<CommunicationTokenCredential, EntraError> {
    let exchange = EntraTokenExchange::new(&options)?;
    let refresh = CommunicationTokenRefreshOptions::new(exchange)
        .refresh_proactively(options.refresh_proactively)
        .refresher_timeout(options.refresher_timeout());
    Ok(CommunicationTokenCredential::with_refresh(
        options.clock.install(refresh),
    ))
}

impl TryFrom<EntraCommunicationTokenCredentialOptions> for CommunicationTokenCredential {
    type Error = EntraError;

    fn try_from(options: EntraCommunicationTokenCredentialOptions) -> Result<Self, Self::Error> {
        communication_token_credential(options)
    }
}
