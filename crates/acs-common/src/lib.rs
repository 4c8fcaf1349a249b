#![doc = include_str!("../README.md")]

/// Reading ACS access tokens: [`token::AccessToken`], [`token::TokenClaims`], [`token::TokenError`].
///
/// This is the [`acs_token`] crate.
pub mod token {
    #[doc(inline)]
    pub use acs_token::*;
}
