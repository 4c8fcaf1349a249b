#![doc = include_str!("../README.md")]

mod access_key;
mod adapters;
mod connection_string;
mod date;
mod error;
mod signer;
mod verifier;

pub use access_key::AccessKey;
pub use adapters::SignableBody;
pub use connection_string::ConnectionString;
pub use error::AuthError;
pub use signer::{
    AuthHeaders, HmacSigner, RequestParts, SignableRequest, X_MS_CONTENT_SHA256, X_MS_DATE,
};
pub use verifier::HmacVerifier;

/// The `http` crate, whose types ([`http::Request`], [`http::HeaderValue`], ...) appear in this
/// crate's signatures.
pub use http;
/// The date-time type signing dates are given as, from the `time` crate.
pub use time::OffsetDateTime;
