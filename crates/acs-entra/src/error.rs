use http::StatusCode;

use acs_http::{EndpointError, HttpError, ServiceError};

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
    /// The HTTP error of a failed exchange, or of building the HTTP client.
    pub fn http_error(&self) -> Option<&HttpError> {
        match self {
            EntraError::Exchange(error) | EntraError::HttpClient(error) => Some(error),
            _ => None,
        }
    }

    /// The service's answer, when it answered the exchange with an error status.
    pub fn service_error(&self) -> Option<&ServiceError> {
        self.http_error().and_then(HttpError::service_error)
    }

    /// The HTTP status of the exchange response, when there was one (see
    /// [`HttpError::status`]).
    pub fn status(&self) -> Option<StatusCode> {
        self.http_error().and_then(HttpError::status)
    }

    /// The ACS error code (e.g. `BadRequest`), when the service sent one.
    pub fn code(&self) -> Option<&str> {
        self.http_error().and_then(HttpError::code)
    }

    /// The ACS error message, when the service sent one.
    pub fn message(&self) -> Option<&str> {
        self.http_error().and_then(HttpError::message)
    }

    /// The `x-ms-request-id` of the failed exchange response (an error status or an
    /// unreadable success), to quote to Azure support.
    pub fn request_id(&self) -> Option<&str> {
        self.http_error().and_then(HttpError::request_id)
    }

    /// The `x-ms-client-request-id` of the failed exchange response, when present.
    pub fn client_request_id(&self) -> Option<&str> {
        self.http_error().and_then(HttpError::client_request_id)
    }

    /// How many exchange attempts were made, when the exchange was tried.
    pub fn attempts(&self) -> Option<u32> {
        self.http_error().and_then(HttpError::attempts)
    }
}
