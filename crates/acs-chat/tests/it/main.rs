//! acs-chat's integration tests: every operation on the wire against a scripted server on
//! 127.0.0.1, paging, errors, retries and the 401 refresh, typing throttling, and secrets.

mod common;
mod docs;
mod emulator;
mod errors;
mod paging;
mod retries;
mod secrets;
mod types;
mod typing;
mod wire;
