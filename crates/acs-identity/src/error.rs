use std::fmt;
use std::time::Duration;

use acs_http::{HttpError, ServiceError, ServiceErrorSource};
use http::StatusCode;

/// An identity API operation, named in errors and `tracing` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdentityOperation {
    /// `POST /identities` without a token.
    CreateUser,
    /// `POST /identities` with `createTokenWithScopes`.
    CreateUserAndToken,
    /// `POST /identities/{id}/:issueAccessToken`.
    GetToken,
    /// `POST /identities/{id}/:revokeAccessTokens`.
    RevokeTokens,
    /// `DELETE /identities/{id}`.
    DeleteUser,
    /// `POST /teamsUser/:exchangeAccessToken`.
    GetTokenForTeamsUser,
}

impl IdentityOperation {
    /// The operation's name, as the client method is called.
    pub fn name(self) -> &'static str {
        match self {
            IdentityOperation::CreateUser => "create_user",
            IdentityOperation::CreateUserAndToken => "create_user_and_token",
            IdentityOperation::GetToken => "get_token",
            IdentityOperation::RevokeTokens => "revoke_tokens",
            IdentityOperation::DeleteUser => "delete_user",
            IdentityOperation::GetTokenForTeamsUser => "get_token_for_teams_user",
        }
    }
}

impl fmt::Display for IdentityOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything that can go wrong with the identity client.
///
/// No variant holds or prints an access key, a connection string, an access token or a Teams
/// token: these errors are safe to log. Service failures keep the [`HttpError`] (status, ACS
/// error code and message, request ids, attempts) as their source. Reach the service's answer
/// with [`ServiceErrorSource`] (re-exported by this crate), as for every ACS client error:
///
/// ```
/// use acs_identity::{IdentityError, ServiceErrorSource};
///
/// fn report(error: &IdentityError) {
///     if let Some(service) = error.service_error() {
///         eprintln!("{:?} {:?} {:?}", service.status(), service.code(), service.request_id());
///     }
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The connection string could not be read.
    #[error("invalid connection string")]
    ConnectionString(#[source] acs_auth::AuthError),
    /// The endpoint is not usable (not https, except for loopback hosts; has a query...).
    #[error("invalid endpoint")]
    Endpoint(#[source] acs_http::EndpointError),
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client")]
    HttpClient(#[source] HttpError),
    /// The request failed: the service answered with an error status (after any retries), or
    /// it could not be reached, or its answer could not be read.
    #[error("{operation} failed{}", describe(.source))]
    Request {
        /// The operation that failed.
        operation: IdentityOperation,
        /// What acs-http reported.
        #[source]
        source: HttpError,
    },
    /// The service answered with success but without what the operation needs (an identity
    /// id, or a non-empty token of a token-issuing call).
    #[error("{operation}: unexpected response from the service: {reason}")]
    UnexpectedResponse {
        /// The operation.
        operation: IdentityOperation,
        /// What was missing or wrong.
        reason: &'static str,
    },
    /// The Entra ID credential could not provide a token (feature `entra`).
    #[cfg(feature = "entra")]
    #[error("{operation}: the Entra ID credential could not provide a token")]
    EntraCredential {
        /// The operation.
        operation: IdentityOperation,
        /// The credential's error.
        #[source]
        source: azure_core::Error,
    },
    /// A token lifetime that is not a whole, non-zero number of minutes (the wire's unit).
    /// Which lifetimes are allowed is the service's decision (the public service: 60 to 1440
    /// minutes); it answers others with HTTP 400.
    #[error(
        "invalid token lifetime of {:?}: expires_in must be a whole, non-zero number of minutes",
        .expires_in
    )]
    InvalidExpiresIn {
        /// The lifetime asked for.
        expires_in: Duration,
    },
    /// A token request named no scope.
    #[error("at least one scope is required")]
    NoScopes,
    /// An [`IdentityTokenRefresher`](crate::IdentityTokenRefresher) was made with no scope,
    /// so none of its refreshes can get a token (nothing is sent).
    #[error(
        "the identity token refresher has no scopes: give CommunicationIdentityClient::refresher at least one scope"
    )]
    RefresherWithoutScopes,
    /// A scope text that cannot be a scope.
    #[error("invalid scope: {reason}")]
    InvalidScope {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A required argument was empty (a user id, or a Teams token, app id or user id).
    #[error("{argument} must not be empty")]
    EmptyArgument {
        /// The argument's name.
        argument: &'static str,
    },
}

/// `": HTTP 404 IdentityNotFound"` for service errors, nothing for others (their own text is
/// in the source chain).
fn describe(error: &HttpError) -> String {
    let Some(summary) = error.summary() else {
        return String::new();
    };
    // A 401 on a signed request is nearly always the key or the clock: say so.
    let hint = if error.status() == Some(StatusCode::UNAUTHORIZED) {
        " (check the access key, and that this machine's clock is right)"
    } else {
        ""
    };
    format!(": {summary}{hint}")
}

impl IdentityError {
    /// The operation that failed, when a request was involved.
    pub fn operation(&self) -> Option<IdentityOperation> {
        match self {
            IdentityError::Request { operation, .. }
            | IdentityError::UnexpectedResponse { operation, .. } => Some(*operation),
            #[cfg(feature = "entra")]
            IdentityError::EntraCredential { operation, .. } => Some(*operation),
            _ => None,
        }
    }

    /// The acs-http error of a failed request: its status, request ids and attempt count also
    /// cover failures that are not service answers (an unreadable success, a timeout). For the
    /// service's answer (status, ACS error code and message, `Retry-After`), use
    /// [`ServiceErrorSource::service_error`](acs_http::ServiceErrorSource).
    pub fn http_error(&self) -> Option<&HttpError> {
        match self {
            IdentityError::Request { source, .. } | IdentityError::HttpClient(source) => {
                Some(source)
            }
            _ => None,
        }
    }

    /// Whether the service answered 404: the identity does not exist or was deleted.
    pub fn is_not_found(&self) -> bool {
        self.service_error().map(ServiceError::status) == Some(StatusCode::NOT_FOUND)
    }

    /// Whether the service refused the credentials (401 or 403).
    pub fn is_unauthorized(&self) -> bool {
        matches!(
            self.service_error().map(ServiceError::status),
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        )
    }

    /// Whether the error was detected before anything was sent (bad arguments or set-up).
    pub fn is_client_side(&self) -> bool {
        matches!(
            self,
            IdentityError::ConnectionString(_)
                | IdentityError::Endpoint(_)
                | IdentityError::HttpClient(_)
                | IdentityError::InvalidExpiresIn { .. }
                | IdentityError::NoScopes
                | IdentityError::RefresherWithoutScopes
                | IdentityError::InvalidScope { .. }
                | IdentityError::EmptyArgument { .. }
        )
    }
}
