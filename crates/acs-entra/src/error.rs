use http::StatusCode;

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
    /// timed out, or sent a response that is not a token.
    #[error("the Entra token exchange failed{}", exchange_summary(.0))]
    Exchange(#[source] HttpError),
}

fn exchange_summary(error: &HttpError) -> String {
    match error {
        HttpError::Service(service) => {
            let mut text = format!(": HTTP {}", service.status());
            if let Some(code) = service.code() {
                text.push_str(&format!(", {code}"));
            }
            if let Some(message) = service.message() {
                text.push_str(&format!(": {message}"));
            }
            text
        }
        HttpError::Decode { status, .. } => format!(": HTTP {status} with an unreadable body"),
        error if error.is_timeout() => ": timed out".to_owned(),
        _ => String::new(),
    }
}

impl EntraError {
    /// The HTTP status of the exchange response, when the service answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            EntraError::Exchange(error) => error.status(),
            _ => None,
        }
    }

    /// The ACS error code (e.g. `BadRequest`), when the service sent one.
    pub fn code(&self) -> Option<&str> {
        self.service_error().and_then(|e| e.code())
    }

    /// The ACS error message, when the service sent one.
    pub fn message(&self) -> Option<&str> {
        self.service_error().and_then(|e| e.message())
    }

    /// The `x-ms-request-id` of the exchange response, when present.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            EntraError::Exchange(HttpError::Service(e)) => e.request_id(),
            EntraError::Exchange(HttpError::Decode { request_id, .. }) => request_id.as_deref(),
            _ => None,
        }
    }

    /// The `x-ms-client-request-id` of the exchange response, when present.
    pub fn client_request_id(&self) -> Option<&str> {
        self.service_error().and_then(|e| e.client_request_id())
    }

    /// How many exchange attempts were made, when the exchange was tried.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            EntraError::Exchange(error) => error.attempts(),
            _ => None,
        }
    }

    /// The HTTP error of a failed exchange.
    pub fn http_error(&self) -> Option<&HttpError> {
        match self {
            EntraError::Exchange(error) | EntraError::HttpClient(error) => Some(error),
            _ => None,
        }
    }

    fn service_error(&self) -> Option<&acs_http::ServiceError> {
        match self {
            EntraError::Exchange(error) => error.service_error(),
            _ => None,
        }
    }
}
