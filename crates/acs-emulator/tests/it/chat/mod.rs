//! The Chat service of the emulator: routes, authentication and scopes, membership, system
//! messages, paging, partial failures, idempotent create, limits and bad input.

mod auth;
mod bad_input;
mod flow;
mod hmac_host;
mod paging;
mod support;
mod tls;
