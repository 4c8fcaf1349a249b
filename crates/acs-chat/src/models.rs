//! What the chat operations return (and, for participants, take).

use std::collections::BTreeMap;
use std::fmt;

use acs_http::AcsErrorDetail;
use acs_identifiers::CommunicationIdentifier;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::wire::{identifier, null_default, optional_time};

/// A participant of a chat thread: who, the name shown, and from when they see the history.
///
/// ```
/// use acs_chat::ChatParticipant;
/// use acs_identifiers::CommunicationIdentifier;
///
/// let participant = ChatParticipant::new(CommunicationIdentifier::from_raw_id("8:acs:r_u1"))
///     .display_name("Ada")
///     .share_history_time(time::OffsetDateTime::UNIX_EPOCH);
/// assert_eq!(participant.display_name.as_deref(), Some("Ada"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatParticipant {
    /// Who.
    #[serde(rename = "communicationIdentifier", serialize_with = "identifier")]
    pub identifier: CommunicationIdentifier,
    /// The name shown for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The earliest message they can see; `None` lets the service decide (no history).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_time"
    )]
    pub share_history_time: Option<OffsetDateTime>,
    /// String pairs about the participant (api-version 2025-03-15 and later).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_default"
    )]
    pub metadata: BTreeMap<String, String>,
}

impl ChatParticipant {
    /// A participant with no display name, history time or metadata.
    pub fn new(identifier: impl Into<CommunicationIdentifier>) -> Self {
        ChatParticipant {
            identifier: identifier.into(),
            display_name: None,
            share_history_time: None,
            metadata: BTreeMap::new(),
        }
    }

    /// Sets the display name.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Sets the time from which the participant sees the thread's history.
    pub fn share_history_time(mut self, at: OffsetDateTime) -> Self {
        self.share_history_time = Some(at);
        self
    }

    /// Adds a metadata pair (api-version 2025-03-15 and later).
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
}

/// How long a thread is kept (api-version 2025-03-15 and later).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum ChatRetentionPolicy {
    /// Delete the thread this many days after it was created.
    #[serde(rename_all = "camelCase")]
    ThreadCreationDate {
        /// Days after creation.
        delete_thread_after_days: u32,
    },
    /// No retention policy: the thread is kept.
    None,
    /// A kind this client does not know (read only; it cannot be sent).
    #[serde(other, skip_serializing)]
    Unknown,
}

/// A chat thread's properties.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatThreadProperties {
    /// The thread id, `19:...@thread.v2`.
    pub id: String,
    /// The topic.
    pub topic: String,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_on: OffsetDateTime,
    /// Who created it.
    #[serde(rename = "createdByCommunicationIdentifier")]
    pub created_by: CommunicationIdentifier,
    /// When it was deleted, if it was.
    #[serde(default, with = "optional_time")]
    pub deleted_on: Option<OffsetDateTime>,
    /// String pairs about the thread (api-version 2025-03-15 and later).
    #[serde(default, deserialize_with = "null_default")]
    pub metadata: BTreeMap<String, String>,
    /// The retention policy (api-version 2025-03-15 and later).
    #[serde(default)]
    pub retention_policy: Option<ChatRetentionPolicy>,
}

/// A thread as listed by [`ChatClient::list_chat_threads`](crate::ChatClient::list_chat_threads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatThreadItem {
    /// The thread id.
    pub id: String,
    /// The topic.
    pub topic: String,
    /// When it was deleted, if it was.
    #[serde(default, with = "optional_time")]
    pub deleted_on: Option<OffsetDateTime>,
    /// When the last message arrived.
    #[serde(default, with = "optional_time")]
    pub last_message_received_on: Option<OffsetDateTime>,
}

/// A message's type: what users send (`text`, `html`) and what the service writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
#[non_exhaustive]
pub enum ChatMessageType {
    /// Plain text (the default).
    #[default]
    Text,
    /// HTML.
    Html,
    /// System: the topic changed.
    TopicUpdated,
    /// System: participants were added.
    ParticipantAdded,
    /// System: participants were removed.
    ParticipantRemoved,
    /// A type this client does not know, kept as sent.
    Other(String),
}

impl ChatMessageType {
    /// The wire name (`text`, `html`, `topicUpdated`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            ChatMessageType::Text => "text",
            ChatMessageType::Html => "html",
            ChatMessageType::TopicUpdated => "topicUpdated",
            ChatMessageType::ParticipantAdded => "participantAdded",
            ChatMessageType::ParticipantRemoved => "participantRemoved",
            ChatMessageType::Other(other) => other,
        }
    }

    /// Whether the service wrote it (topic and participant changes).
    pub fn is_system(&self) -> bool {
        matches!(
            self,
            ChatMessageType::TopicUpdated
                | ChatMessageType::ParticipantAdded
                | ChatMessageType::ParticipantRemoved
        )
    }
}

impl From<String> for ChatMessageType {
    fn from(text: String) -> Self {
        match text.as_str() {
            "text" => ChatMessageType::Text,
            "html" => ChatMessageType::Html,
            "topicUpdated" => ChatMessageType::TopicUpdated,
            "participantAdded" => ChatMessageType::ParticipantAdded,
            "participantRemoved" => ChatMessageType::ParticipantRemoved,
            _ => ChatMessageType::Other(text),
        }
    }
}

impl From<ChatMessageType> for String {
    fn from(kind: ChatMessageType) -> Self {
        match kind {
            ChatMessageType::Other(other) => other,
            known => known.as_str().to_owned(),
        }
    }
}

impl fmt::Display for ChatMessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A chat message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatMessage {
    /// The message id (unique in its thread).
    pub id: String,
    /// The type.
    #[serde(rename = "type")]
    pub message_type: ChatMessageType,
    /// Its place in the thread, a decimal number as text; see
    /// [`sequence_number`](Self::sequence_number).
    pub sequence_id: String,
    /// Changes when the message is edited.
    pub version: String,
    /// When it was sent.
    #[serde(with = "time::serde::rfc3339")]
    pub created_on: OffsetDateTime,
    /// What it says (text or HTML), or what changed (system messages).
    #[serde(default)]
    pub content: Option<ChatMessageContent>,
    /// The sender's display name (user messages).
    #[serde(default)]
    pub sender_display_name: Option<String>,
    /// The sender (user messages; system messages have none).
    #[serde(default, rename = "senderCommunicationIdentifier")]
    pub sender: Option<CommunicationIdentifier>,
    /// When it was deleted, if it was.
    #[serde(default, with = "optional_time")]
    pub deleted_on: Option<OffsetDateTime>,
    /// When it was last edited, if it was.
    #[serde(default, with = "optional_time")]
    pub edited_on: Option<OffsetDateTime>,
    /// String pairs sent with the message.
    #[serde(default, deserialize_with = "null_default")]
    pub metadata: BTreeMap<String, String>,
}

impl ChatMessage {
    /// The sequence id as a number, to order messages (`None` when it is not a decimal
    /// number). Never order by the text: `"10" < "9"`.
    pub fn sequence_number(&self) -> Option<u64> {
        self.sequence_id.parse().ok()
    }

    /// The text or HTML of a user message.
    pub fn text(&self) -> Option<&str> {
        self.content.as_ref()?.message.as_deref()
    }
}

/// The content of a message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatMessageContent {
    /// The text or HTML (user messages).
    #[serde(default)]
    pub message: Option<String>,
    /// The new topic (`topicUpdated`).
    #[serde(default)]
    pub topic: Option<String>,
    /// Who was added or removed (`participantAdded`, `participantRemoved`).
    #[serde(default, deserialize_with = "null_default")]
    pub participants: Vec<ChatParticipant>,
    /// Attachments (Teams interoperability).
    #[serde(default, deserialize_with = "null_default")]
    pub attachments: Vec<ChatAttachment>,
    /// Who made the change (system messages).
    #[serde(default, rename = "initiatorCommunicationIdentifier")]
    pub initiator: Option<CommunicationIdentifier>,
}

/// An attachment of a message (read only).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatAttachment {
    /// The attachment id.
    pub id: String,
    /// `image`, `file`, or another type as sent.
    pub attachment_type: String,
    /// The file name.
    #[serde(default)]
    pub name: Option<String>,
    /// Where to get it.
    #[serde(default)]
    pub url: Option<String>,
    /// Where to get a preview.
    #[serde(default)]
    pub preview_url: Option<String>,
}

/// A read receipt: who read up to which message, when.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChatMessageReadReceipt {
    /// Who read.
    #[serde(rename = "senderCommunicationIdentifier")]
    pub sender: CommunicationIdentifier,
    /// The latest message they read.
    pub chat_message_id: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub read_on: OffsetDateTime,
}

/// A participant the service did not add, with its reason. Not an error of the call: the
/// others were added.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FailedParticipant {
    /// The participant of the request it concerns, matched by raw ID with the error's target;
    /// `None` when the target matches none. Pass it to `add_participants` to try again.
    pub participant: Option<ChatParticipant>,
    /// The error's target: the failed participant's raw ID, as the service sent it.
    pub target: Option<String>,
    /// The service's error: `code` is a status as text (`"403"`, `"404"`), `message` says why.
    pub error: AcsErrorDetail,
}

impl FailedParticipant {
    pub(crate) fn pair(error: AcsErrorDetail, requested: &[ChatParticipant]) -> Self {
        let participant = error.target.as_deref().and_then(|target| {
            requested
                .iter()
                .find(|p| p.identifier.raw_id() == target)
                .cloned()
        });
        FailedParticipant {
            participant,
            target: error.target.clone(),
            error,
        }
    }

    /// Who was not added: the requested participant's identifier, or else the target's raw ID
    /// read as an identifier.
    pub fn identifier(&self) -> Option<CommunicationIdentifier> {
        match (&self.participant, &self.target) {
            (Some(participant), _) => Some(participant.identifier.clone()),
            (None, Some(target)) => Some(CommunicationIdentifier::from_raw_id(target)),
            (None, None) => None,
        }
    }

    /// The error code (`"403"`, `"404"`, ...).
    pub fn code(&self) -> Option<&str> {
        self.error.code.as_deref()
    }

    /// The error message.
    pub fn message(&self) -> Option<&str> {
        self.error.message.as_deref()
    }

    /// The code read as an HTTP status, when it is one (`"404"` → 404).
    pub fn status(&self) -> Option<StatusCode> {
        self.code()?
            .parse::<u16>()
            .ok()
            .and_then(|code| StatusCode::from_u16(code).ok())
    }
}

/// The answer to [`ChatClient::create_chat_thread`](crate::ChatClient::create_chat_thread):
/// the thread, and the participants that could not be added to it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateChatThreadResult {
    /// The new thread (or, for a repeated idempotency token, the one created the first time).
    pub thread: ChatThreadProperties,
    /// The participants that were not added, in the service's order.
    pub failed_participants: Vec<FailedParticipant>,
}

impl CreateChatThreadResult {
    /// The requested participants that were not added, to try again with
    /// [`ChatThreadClient::add_participants`](crate::ChatThreadClient::add_participants).
    pub fn retry_list(&self) -> Vec<ChatParticipant> {
        retry_list(&self.failed_participants)
    }
}

fn retry_list(failed: &[FailedParticipant]) -> Vec<ChatParticipant> {
    failed
        .iter()
        .filter_map(|failed| failed.participant.clone())
        .collect()
}

/// The answer to
/// [`ChatThreadClient::add_participants`](crate::ChatThreadClient::add_participants): the
/// participants that could not be added (the others were).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AddChatParticipantsResult {
    /// The participants that were not added, in the service's order.
    pub failed_participants: Vec<FailedParticipant>,
}

impl AddChatParticipantsResult {
    /// Whether every participant was added.
    pub fn is_complete(&self) -> bool {
        self.failed_participants.is_empty()
    }

    /// The requested participants that failed, to try again.
    pub fn retry_list(&self) -> Vec<ChatParticipant> {
        retry_list(&self.failed_participants)
    }
}

/// The answer to [`ChatThreadClient::send_message`](crate::ChatThreadClient::send_message).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendChatMessageResult {
    /// The new message's id.
    pub id: String,
}
