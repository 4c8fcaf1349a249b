#![doc = include_str!("../README.md")]

mod client;
mod error;
mod refresher;
mod scope;
mod wire;

pub use client::{
    CommunicationIdentityClient, CommunicationIdentityClientBuilder, DEFAULT_API_VERSION,
    ENTRA_SCOPE, IdentityAuthentication, MAX_EXPIRES_IN, MIN_EXPIRES_IN,
};
pub use error::{IdentityError, IdentityOperation};
pub use refresher::IdentityTokenRefresher;
pub use scope::CommunicationTokenScope;

/// The access key type an [`IdentityAuthentication`] holds, from `acs-auth`.
pub use acs_auth::AccessKey;
/// The one way to reach the service's answer (status, ACS error code and message, request ids,
/// `Retry-After`) in an [`IdentityError`] or any error wrapping one, from `acs-http`.
pub use acs_http::ServiceErrorSource;
/// The identifier type users are returned as, from `acs-identifiers`.
pub use acs_identifiers::CommunicationUserIdentifier;
/// The credential an [`IdentityTokenRefresher`] drives, and the error its `get_token` returns
/// (an [`IdentityError`] is its source: `ServiceErrorSource` reaches the service's answer in one
/// call), from `acs-refresh`.
pub use acs_refresh::{CommunicationTokenCredential, CredentialError};
/// The token type operations return, from `acs-token`.
pub use acs_token::AccessToken;
