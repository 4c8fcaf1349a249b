#![doc = include_str!("../README.md")]

mod client;
mod error;
mod models;
mod options;
mod paging;
mod pipeline;
mod thread_client;
mod wire;

pub use client::{API_VERSION_2025_03_15, ChatClient, ChatClientBuilder, DEFAULT_API_VERSION};
pub use error::{ChatError, ChatOperation};
pub use models::{
    AddChatParticipantsResult, ChatAttachment, ChatMessage, ChatMessageContent,
    ChatMessageReadReceipt, ChatMessageType, ChatParticipant, ChatRetentionPolicy, ChatThreadItem,
    ChatThreadProperties, CreateChatThreadResult, FailedParticipant, SendChatMessageResult,
};
pub use options::{
    CreateChatThreadOptions, ListOptions, SendChatMessageOptions, UpdateChatMessageOptions,
    UpdateChatThreadOptions,
};
pub use paging::{ChatItems, ChatPage, ChatPages};
pub use thread_client::{ChatThreadClient, TYPING_NOTIFICATION_INTERVAL};

/// The ACS error object of a failed participant, from `acs-http`.
pub use acs_http::AcsErrorDetail;
/// Finds the service's answer (status, code, message, request ids) in any error, from `acs-http`.
pub use acs_http::ServiceErrorSource;
/// The identifier type participants and senders are, from `acs-identifiers`.
pub use acs_identifiers::CommunicationIdentifier;
/// The credential the clients take, from `acs-refresh`.
pub use acs_refresh::CommunicationTokenCredential;
