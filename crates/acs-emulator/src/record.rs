use http::{Method, StatusCode};

use crate::Route;

/// One request the emulator answered, for tests to inspect (see
/// [`RunningEmulator::requests`](crate::RunningEmulator::requests)). It holds no header or body,
/// so it never contains a key or a token.
///
/// The record is bounded: it keeps the latest
/// [`request_log_capacity`](crate::EmulatorBuilder::request_log_capacity) requests, and
/// requests for paths that match nothing (404 `NotFound`) are not kept at all.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The method.
    pub method: Method,
    /// The path as received (percent-encoding intact), without the query, cut to its first
    /// [`RECORDED_PATH_LIMIT`](crate::RECORDED_PATH_LIMIT) bytes.
    pub path: String,
    /// The route it matched, if any.
    pub route: Option<Route>,
    /// The status answered.
    pub status: StatusCode,
    /// Whether the status came from an injected [`Fault`](crate::Fault).
    pub injected: bool,
}

/// What the emulator knows of a token, as a service that checks tokens would see it (clients
/// never ask the service, so this is a library call: [`RunningEmulator::token_status`](crate::RunningEmulator::token_status)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenStatus {
    /// Minted here, not expired, not revoked, and its identity still exists.
    Valid,
    /// Minted here, and its `exp` has passed on the emulator's clock.
    Expired,
    /// Minted here before its identity's tokens were revoked.
    Revoked,
    /// Minted here for an identity that has since been deleted.
    IdentityDeleted,
    /// Not minted by this emulator instance.
    Unknown,
}

/// Whether an identity exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdentityState {
    /// Created, or derived from an Entra exchange, and not deleted.
    Active,
    /// Deleted: operations on it answer 404.
    Deleted,
}
