//! acs-token's integration tests, in one test binary.

mod parse;
mod properties;
mod secrets;
