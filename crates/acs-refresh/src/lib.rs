#![doc = include_str!("../README.md")]

#[cfg(feature = "azure-core")]
mod azure;
mod clock;
mod credential;
mod driver;
mod error;
mod last_served;
mod options;
mod refresher;
mod snapshot;
#[cfg(feature = "test-util")]
pub mod test_util;

pub use credential::CommunicationTokenCredential;
pub use error::{CredentialError, RefresherError};
pub use options::CommunicationTokenRefreshOptions;
pub use refresher::{BlockingRefresher, BoxError, RefreshedToken, TokenRefresher};

/// The token type this crate hands out, from `acs-token`.
pub use acs_token::AccessToken;
