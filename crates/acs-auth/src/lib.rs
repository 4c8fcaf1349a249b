#![doc = include_str!("../README.md")]

mod access_key;
mod adapters;
mod connection_string;
mod date;
mod error;
mod signer;
mod verifier;

pub use access_key::AccessKey;
pub use connection_string::ConnectionString;
pub use error::AuthError;
pub use signer::{
    AuthHeaders, HmacSigner, RequestParts, SignableRequest, X_MS_CONTENT_SHA256, X_MS_DATE,
};
pub use verifier::HmacVerifier;
