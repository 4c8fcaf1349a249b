//! The Chat service of the emulator: routes, authentication and scopes, membership, system
//! messages, paging, partial failures, idempotent create, limits and bad input.

#[path = "chat/auth.rs"]
mod auth;
#[path = "chat/bad_input.rs"]
mod bad_input;
#[path = "chat/flow.rs"]
mod flow;
#[path = "chat/hmac_host.rs"]
mod hmac_host;
#[path = "chat/paging.rs"]
mod paging;
#[path = "chat/support.rs"]
mod support;
#[path = "chat/tls.rs"]
mod tls;
