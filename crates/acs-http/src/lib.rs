#![doc = include_str!("../README.md")]

mod client;
mod endpoint;
mod error;
mod error_body;
pub mod expires_on;
mod retry;
mod send;
mod source;
#[cfg(feature = "test-util")]
pub mod test_util;

/// The date-time type of `expiresOn` values ([`parse_expires_on`], [`TokenResponse`]), from
/// `acs-token`.
pub use acs_token::OffsetDateTime;
pub use acs_token::Redacted;
pub use client::{HttpClient, HttpClientBuilder, HttpClientOptions, USER_AGENT};
pub use endpoint::Endpoint;
pub use error::{BoxError, DecodeError, EndpointError, ExpiresOnError, HttpError, ServiceError};
pub use error_body::{AcsErrorDetail, AcsErrorResponse, AcsInnerError};
pub use expires_on::{TokenResponse, format_expires_on, parse_expires_on};
/// The `http` crate, whose types ([`http::StatusCode`], [`http::HeaderMap`]) appear in this
/// crate's signatures.
pub use http;
pub use retry::{RetryPolicy, format_http_date, retry_after};
pub use send::{
    CLIENT_REQUEST_ID_HEADER, ERROR_CODE_HEADER, REQUEST_ID_HEADER, Response, send_with_retry,
};
pub use source::ServiceErrorSource;
