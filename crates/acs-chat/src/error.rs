use std::fmt;

use acs_http::{HttpError, ServiceError, ServiceErrorSource};
use acs_refresh::CredentialError;
use http::StatusCode;

/// A chat operation, named in errors and `tracing` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChatOperation {
    /// `POST /chat/threads`.
    CreateChatThread,
    /// `GET /chat/threads`.
    ListChatThreads,
    /// `DELETE /chat/threads/{id}`.
    DeleteChatThread,
    /// `GET /chat/threads/{id}`.
    GetProperties,
    /// `PATCH /chat/threads/{id}`.
    UpdateProperties,
    /// `POST /chat/threads/{id}/messages`.
    SendMessage,
    /// `GET /chat/threads/{id}/messages`.
    ListMessages,
    /// `GET /chat/threads/{id}/messages/{message}`.
    GetMessage,
    /// `PATCH /chat/threads/{id}/messages/{message}`.
    UpdateMessage,
    /// `DELETE /chat/threads/{id}/messages/{message}`.
    DeleteMessage,
    /// `GET /chat/threads/{id}/participants`.
    ListParticipants,
    /// `POST /chat/threads/{id}/participants/:add`.
    AddParticipants,
    /// `POST /chat/threads/{id}/participants/:remove`.
    RemoveParticipant,
    /// `POST /chat/threads/{id}/typing`.
    SendTypingNotification,
    /// `POST /chat/threads/{id}/readReceipts`.
    SendReadReceipt,
    /// `GET /chat/threads/{id}/readReceipts`.
    ListReadReceipts,
}

impl ChatOperation {
    /// The operation's name, as the client method is called.
    pub fn name(self) -> &'static str {
        match self {
            ChatOperation::CreateChatThread => "create_chat_thread",
            ChatOperation::ListChatThreads => "list_chat_threads",
            ChatOperation::DeleteChatThread => "delete_chat_thread",
            ChatOperation::GetProperties => "properties",
            ChatOperation::UpdateProperties => "update_properties",
            ChatOperation::SendMessage => "send_message",
            ChatOperation::ListMessages => "list_messages",
            ChatOperation::GetMessage => "get_message",
            ChatOperation::UpdateMessage => "update_message",
            ChatOperation::DeleteMessage => "delete_message",
            ChatOperation::ListParticipants => "list_participants",
            ChatOperation::AddParticipants => "add_participants",
            ChatOperation::RemoveParticipant => "remove_participant",
            ChatOperation::SendTypingNotification => "send_typing_notification",
            ChatOperation::SendReadReceipt => "send_read_receipt",
            ChatOperation::ListReadReceipts => "list_read_receipts",
        }
    }
}

impl fmt::Display for ChatOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything that can go wrong with the chat clients.
///
/// No variant holds or prints an access token: these errors are safe to log. Failed requests
/// keep the [`HttpError`] (status, ACS error code and message, request ids, attempts) as their
/// [`source`](std::error::Error::source). Reach the service's answer with [`ServiceErrorSource`]
/// (re-exported by this crate), as for every ACS client error:
///
/// ```
/// use acs_chat::{ChatError, ServiceErrorSource};
///
/// fn report(error: &ChatError) {
///     if let Some(service) = error.service_error() {
///         eprintln!("{} {:?} {:?}", service.status(), service.code(), service.request_id());
///     }
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChatError {
    /// The endpoint is not usable (not https, except for loopback hosts; has a query...).
    #[error("invalid endpoint")]
    Endpoint(#[source] acs_http::EndpointError),
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client")]
    HttpClient(#[source] HttpError),
    /// The credential could not provide a token (before sending, or when a new token was
    /// needed after the service refused one with 401).
    #[error("{operation}: the credential could not provide a token")]
    Credential {
        /// The operation.
        operation: ChatOperation,
        /// The credential's error.
        #[source]
        source: CredentialError,
    },
    /// The request failed: the service answered with an error status (after any retries, and
    /// after one new token on a 401), or it could not be reached.
    #[error("{operation} failed{}", describe(.source))]
    Request {
        /// The operation that failed.
        operation: ChatOperation,
        /// What acs-http reported.
        #[source]
        source: HttpError,
    },
    /// The service answered with success, but the body is not what the operation expects
    /// (truncated JSON, a collection without `value`, a `nextLink` that is not a URL of the
    /// endpoint...). The source is an [`HttpError::Decode`] with the status and request ids.
    #[error("{operation}: the service's answer could not be read")]
    InvalidResponse {
        /// The operation.
        operation: ChatOperation,
        /// The decode failure, with the response's status and request ids.
        #[source]
        source: HttpError,
    },
    /// An argument was refused before anything was sent.
    #[error("invalid {argument}: {reason}")]
    InvalidArgument {
        /// The argument's name.
        argument: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The option needs a newer api-version than the client is configured for.
    #[error("{option} needs api-version {required} or later (the client uses {api_version})")]
    UnsupportedByApiVersion {
        /// The option.
        option: &'static str,
        /// The oldest api-version that has it.
        required: &'static str,
        /// The client's api-version.
        api_version: String,
    },
}

/// `": HTTP 404 NotFound"` for service errors, nothing for others (their own text is in the
/// source chain).
fn describe(error: &HttpError) -> String {
    let Some(summary) = error.summary() else {
        return String::new();
    };
    let hint = if error.status() == Some(StatusCode::UNAUTHORIZED) {
        " (the service refused the token)"
    } else {
        ""
    };
    format!(": {summary}{hint}")
}

impl ChatError {
    /// The operation that failed, when a request was involved.
    pub fn operation(&self) -> Option<ChatOperation> {
        match self {
            ChatError::Request { operation, .. }
            | ChatError::InvalidResponse { operation, .. }
            | ChatError::Credential { operation, .. } => Some(*operation),
            _ => None,
        }
    }

    /// The acs-http error of a failed request or an unreadable answer: its status, request ids
    /// and attempt count also cover failures that are not service answers (an unreadable
    /// success, a timeout). For the service's answer (status, ACS error code and message,
    /// `Retry-After`), use [`ServiceErrorSource::service_error`](acs_http::ServiceErrorSource).
    pub fn http_error(&self) -> Option<&HttpError> {
        match self {
            ChatError::Request { source, .. }
            | ChatError::InvalidResponse { source, .. }
            | ChatError::HttpClient(source) => Some(source),
            _ => None,
        }
    }

    /// Whether the service answered 404 (an unknown thread or message).
    pub fn is_not_found(&self) -> bool {
        self.service_error().map(ServiceError::status) == Some(StatusCode::NOT_FOUND)
    }

    /// Whether the service refused the caller: 401 (the token) or 403 (not a participant, or
    /// a scope that does not allow the operation).
    pub fn is_unauthorized(&self) -> bool {
        matches!(
            self.service_error().map(ServiceError::status),
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        )
    }

    /// Whether the error was detected before anything was sent.
    pub fn is_client_side(&self) -> bool {
        matches!(
            self,
            ChatError::Endpoint(_)
                | ChatError::HttpClient(_)
                | ChatError::InvalidArgument { .. }
                | ChatError::UnsupportedByApiVersion { .. }
        )
    }
}
