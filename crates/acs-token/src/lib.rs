#![doc = include_str!("../README.md")]

mod access_token;
mod base64;
mod claims;
mod decode;
mod error;
#[cfg(feature = "test-util")]
pub mod test_util;

pub use access_token::AccessToken;
pub use claims::TokenClaims;
pub use error::{TokenError, TokenPart};
