#![doc = include_str!("../README.md")]

mod clock;
mod credential;
mod error;
mod exchange;
mod options;
mod scopes;
#[cfg(feature = "test-util")]
pub mod test_util;

pub use credential::communication_token_credential;
pub use error::EntraError;
pub use exchange::{EXCHANGE_WINDOW, EntraTokenExchange};
pub use options::{DEFAULT_REFRESHER_TIMEOUT, EntraCommunicationTokenCredentialOptions};
pub use scopes::{
    COMMUNICATION_CLIENTS_SCOPE_PREFIX, DEFAULT_SCOPE, ExchangeRoute,
    TEAMS_EXTENSION_GCCH_SCOPE_PREFIX, TEAMS_EXTENSION_SCOPE_PREFIX,
};

/// The one way to reach the service's answer (status, ACS error code and message, request ids,
/// `Retry-After`) in an [`EntraError`], or in the credential error wrapping one, from `acs-http`.
pub use acs_http::ServiceErrorSource;
/// The credential type this crate builds, and the error its `get_token` returns (an exchange
/// failure is its source: `ServiceErrorSource` reaches the service's answer in one call), from
/// `acs-refresh`.
pub use acs_refresh::{CommunicationTokenCredential, CredentialError};
/// The Entra credential trait the options take, re-exported so callers can name it without a
/// direct `azure_core` dependency.
pub use azure_core::credentials::TokenCredential;
