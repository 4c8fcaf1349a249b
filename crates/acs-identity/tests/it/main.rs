//! The integration tests of acs-identity, one binary, against the emulator and scripted servers on 127.0.0.1.

mod common;
mod entra;
mod errors;
mod operations;
mod refresher;
mod secrets;
mod signing;
mod wire;
