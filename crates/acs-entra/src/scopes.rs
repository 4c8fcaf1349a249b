use std::fmt;

use crate::error::EntraError;

/// The scope prefix of Teams Phone extensibility (the public cloud).
pub const TEAMS_EXTENSION_SCOPE_PREFIX: &str = "https://auth.msft.communication.azure.com/";
/// The scope prefix of Teams Phone extensibility in the US Government cloud (GCC High).
pub const TEAMS_EXTENSION_GCCH_SCOPE_PREFIX: &str = "https://auth.msft.communication.azure.us/";
/// The scope prefix of communication clients.
pub const COMMUNICATION_CLIENTS_SCOPE_PREFIX: &str = "https://communication.azure.com/clients/";
/// The scope used when none is given.
pub const DEFAULT_SCOPE: &str = "https://communication.azure.com/clients/.default";

/// Which exchange operation a set of scopes selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExchangeRoute {
    /// Teams Phone extensibility scopes:
    /// `POST /access/teamsExtension/:exchangeAccessToken?api-version=2025-06-30`.
    TeamsExtension,
    /// Communication-clients scopes:
    /// `POST /access/entra/:exchangeAccessToken?api-version=2025-03-02-preview`.
    CommunicationClients,
}

impl ExchangeRoute {
    /// The operation's path, relative to the resource endpoint.
    pub fn path(self) -> &'static str {
        match self {
            ExchangeRoute::TeamsExtension => "/access/teamsExtension/:exchangeAccessToken",
            ExchangeRoute::CommunicationClients => "/access/entra/:exchangeAccessToken",
        }
    }

    /// The operation's `api-version`.
    pub fn api_version(self) -> &'static str {
        match self {
            ExchangeRoute::TeamsExtension => "2025-06-30",
            ExchangeRoute::CommunicationClients => "2025-03-02-preview",
        }
    }

    /// The route for one scope, if it has a known prefix.
    fn of_scope(scope: &str) -> Option<Self> {
        if scope.starts_with(TEAMS_EXTENSION_SCOPE_PREFIX)
            || scope.starts_with(TEAMS_EXTENSION_GCCH_SCOPE_PREFIX)
        {
            Some(ExchangeRoute::TeamsExtension)
        } else if scope.starts_with(COMMUNICATION_CLIENTS_SCOPE_PREFIX) {
            Some(ExchangeRoute::CommunicationClients)
        } else {
            None
        }
    }

    /// The route the scopes select: all must share one kind.
    ///
    /// # Errors
    /// [`EntraError::EmptyScopes`] for no scopes, [`EntraError::InvalidScopes`] when a scope
    /// has no known prefix or the scopes mix the two kinds.
    pub fn for_scopes<S: AsRef<str>>(scopes: &[S]) -> Result<Self, EntraError> {
        let mut route = None;
        for scope in scopes {
            let this = ExchangeRoute::of_scope(scope.as_ref()).ok_or(EntraError::InvalidScopes)?;
            match route {
                Some(seen) if seen != this => return Err(EntraError::InvalidScopes),
                _ => route = Some(this),
            }
        }
        route.ok_or(EntraError::EmptyScopes)
    }
}

impl fmt::Display for ExchangeRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExchangeRoute::TeamsExtension => "teamsExtension",
            ExchangeRoute::CommunicationClients => "entra",
        })
    }
}
