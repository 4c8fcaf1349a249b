#![doc = include_str!("../README.md")]

mod chat;
mod clock;
mod derived;
mod emulator;
mod error;
mod fault;
mod handlers;
mod jwt;
mod record;
mod route;
mod server;
mod state;
mod store;
#[cfg(feature = "tls")]
mod tls;

pub use chat::ChatLimits;
pub use clock::{Clock, ManualClock, SystemClock};
pub use emulator::{DEFAULT_REQUEST_LOG_CAPACITY, Emulator, EmulatorBuilder, RunningEmulator};
pub use error::EmulatorError;
pub use fault::Fault;
pub use handlers::{CONTROL_HEADER, RECORDED_PATH_LIMIT};
pub use record::{IdentityState, RequestRecord, TokenStatus};
pub use route::{
    CHAT_API_VERSIONS, ENTRA_EXCHANGE_API_VERSION, IDENTITY_API_VERSIONS, Route,
    TEAMS_EXTENSION_EXCHANGE_API_VERSION, UnknownRoute,
};

/// The scopes the identity routes accept in `scopes` and `createTokenWithScopes`.
pub const VALID_SCOPES: &[&str] = handlers::VALID_SCOPES;
