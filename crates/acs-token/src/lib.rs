#![doc = include_str!("../README.md")]

mod access_token;
mod claims;
mod decode;
mod error;
#[cfg(feature = "serde")]
mod json_form;
mod redacted;
#[cfg(feature = "test-util")]
pub mod test_util;

pub use access_token::AccessToken;
pub use claims::TokenClaims;
pub use error::{TokenError, TokenPart};
pub use redacted::Redacted;
/// The date-time type of expiries, re-exported so callers need not depend on `time` themselves.
pub use time::OffsetDateTime;

/// A boxed error that crosses threads: the one type-erased error of the workspace.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
