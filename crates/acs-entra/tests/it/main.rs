//! The integration tests of acs-entra, one binary: the exchange, the credential, secrets.

mod common;
mod credential;
mod exchange;
mod secrets;
