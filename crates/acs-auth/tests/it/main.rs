//! The integration tests of acs-auth, one binary: connection strings, signing, verification, the reqwest adapter.

mod connection_string;
mod reqwest;
mod signing;
mod verify;
