//! The emulator's integration tests, in one test binary.

mod auth;
mod chat;
mod cli;
mod common;
mod connections;
mod controls;
mod durable;
mod entra;
mod faults;
mod identity;
mod load;
mod secrets;
mod tls;
