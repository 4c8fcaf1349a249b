use acs_http::{EndpointError, HttpError};

/// Why an Entra token could not be turned into an ACS token.
///
/// No variant contains the Entra token or the ACS token. The scope errors carry the official
/// SDKs' messages word for word.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntraError {
    /// No scopes were given.
    #[error(
        "Scopes must not be null or empty. Ensure all scopes start with either https://auth.msft.communication.azure.com/ or https://communication.azure.com/clients/."
    )]
    EmptyScopes,
    /// A scope has no known prefix, or the scopes mix Teams-extension and communication-clients
    /// scopes.
    #[error(
        "Scopes validation failed. Ensure all scopes start with either https://auth.msft.communication.azure.com/ or https://communication.azure.com/clients/."
    )]
    InvalidScopes,
    /// The resource endpoint is not valid (see [`acs_http::Endpoint`]).
    #[error("the resource endpoint is not valid")]
    Endpoint(#[source] EndpointError),
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client")]
    HttpClient(#[source] HttpError),
    /// The Entra credential failed to give a token for the scopes; its error is the source.
    #[error("the Entra credential could not get a token for the exchange")]
    EntraCredential(#[source] azure_core::Error),
    /// The exchange request failed: the service answered with an error, could not be reached,
    /// timed out, or sent a response that is not a token. The outer line shows the status and
    /// ACS error code when the service answered with an error; the message, request ids and
    /// other failures' reasons are in the [`HttpError`] source.
    #[error("the Entra token exchange failed{}", exchange_summary(.0))]
    Exchange(#[source] HttpError),
    /// The exchange service refused this Entra token before (HTTP 401, the source), and the
    /// Entra credential still returns it, so it was not sent again. Entra credentials cache
    /// their tokens until shortly before they expire; the exchange is tried again once the
    /// credential gives a new one. A lasting 401 usually means the Entra token is for the
    /// wrong tenant, application or scope.
    #[error(
        "the Entra token exchange was not retried: the service refused this Entra token (HTTP 401) and the Entra credential still returns it"
    )]
    RejectedEntraToken(#[source] HttpError),
}

/// `": HTTP 401 InvalidAccessToken"` for service errors, nothing for others: the same form as
/// the identity client's errors.
fn exchange_summary(error: &HttpError) -> String {
    error
        .summary()
        .map(|summary| format!(": {summary}"))
        .unwrap_or_default()
}

impl EntraError {
    /// The HTTP error of a failed exchange, or of building the HTTP client: its status, request
    /// ids and attempt count also cover failures that are not service answers (an unreadable
    /// success, a timeout). For the service's answer (status, ACS error code and message,
    /// `Retry-After`), use [`ServiceErrorSource::service_error`](acs_http::ServiceErrorSource).
    pub fn http_error(&self) -> Option<&HttpError> {
        match self {
            EntraError::Exchange(error) | EntraError::HttpClient(error) => Some(error),
            _ => None,
        }
    }
}
