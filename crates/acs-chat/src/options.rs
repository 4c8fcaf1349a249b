//! Options of the chat operations (builders).

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::models::{ChatMessageType, ChatParticipant, ChatRetentionPolicy};

/// What [`ChatClient::create_chat_thread`](crate::ChatClient::create_chat_thread) creates.
///
/// ```
/// use acs_chat::{ChatParticipant, CreateChatThreadOptions};
/// use acs_identifiers::CommunicationIdentifier;
///
/// let options = CreateChatThreadOptions::new("Lunch")
///     .participant(ChatParticipant::new(CommunicationIdentifier::from_raw_id("8:acs:r_u1")).display_name("Ada"))
///     .idempotency_token("3f1f3c1e-3c55-4e2c-9a6e-6a0c0e7e6a51");
/// # let _ = options;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateChatThreadOptions {
    pub(crate) topic: String,
    pub(crate) participants: Vec<ChatParticipant>,
    pub(crate) idempotency_token: Option<String>,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) retention_policy: Option<ChatRetentionPolicy>,
}

impl CreateChatThreadOptions {
    /// A thread with this topic (required, not empty).
    pub fn new(topic: impl Into<String>) -> Self {
        CreateChatThreadOptions {
            topic: topic.into(),
            participants: Vec::new(),
            idempotency_token: None,
            metadata: BTreeMap::new(),
            retention_policy: None,
        }
    }

    /// Adds a participant. Include the creator, as the service expects.
    pub fn participant(mut self, participant: ChatParticipant) -> Self {
        self.participants.push(participant);
        self
    }

    /// Adds participants.
    pub fn participants(mut self, participants: impl IntoIterator<Item = ChatParticipant>) -> Self {
        self.participants.extend(participants);
        self
    }

    /// The `repeatability-request-id` to send. Creating again with the same token returns the
    /// thread created the first time instead of a second one; without it each call sends a
    /// fresh UUID (still the same across that call's retries).
    pub fn idempotency_token(mut self, token: impl Into<String>) -> Self {
        self.idempotency_token = Some(token.into());
        self
    }

    /// Adds a metadata pair (api-version 2025-03-15 and later).
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// The retention policy (api-version 2025-03-15 and later).
    pub fn retention_policy(mut self, policy: ChatRetentionPolicy) -> Self {
        self.retention_policy = Some(policy);
        self
    }
}

/// What [`ChatThreadClient::update_properties`](crate::ChatThreadClient::update_properties)
/// changes; fields left unset are not sent (and stay as they are).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateChatThreadOptions {
    pub(crate) topic: Option<String>,
    pub(crate) metadata: Option<BTreeMap<String, String>>,
    pub(crate) retention_policy: Option<ChatRetentionPolicy>,
}

impl UpdateChatThreadOptions {
    /// Changes nothing (until set).
    pub fn new() -> Self {
        UpdateChatThreadOptions::default()
    }

    /// A new topic.
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = Some(topic.into());
        self
    }

    /// Replaces the metadata with these pairs (api-version 2025-03-15 and later).
    pub fn metadata(mut self, metadata: impl IntoIterator<Item = (String, String)>) -> Self {
        self.metadata = Some(metadata.into_iter().collect());
        self
    }

    /// A new retention policy (api-version 2025-03-15 and later).
    pub fn retention_policy(mut self, policy: ChatRetentionPolicy) -> Self {
        self.retention_policy = Some(policy);
        self
    }
}

/// A message to send with [`ChatThreadClient::send_message`](crate::ChatThreadClient::send_message).
///
/// ```
/// use acs_chat::SendChatMessageOptions;
///
/// let message = SendChatMessageOptions::new("<b>hi</b>").html().sender_display_name("Ada");
/// # let _ = message;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendChatMessageOptions {
    pub(crate) content: String,
    pub(crate) message_type: ChatMessageType,
    pub(crate) sender_display_name: Option<String>,
    pub(crate) metadata: BTreeMap<String, String>,
}

impl SendChatMessageOptions {
    /// A text message (not empty).
    pub fn new(content: impl Into<String>) -> Self {
        SendChatMessageOptions {
            content: content.into(),
            message_type: ChatMessageType::Text,
            sender_display_name: None,
            metadata: BTreeMap::new(),
        }
    }

    /// Sends the content as HTML.
    pub fn html(mut self) -> Self {
        self.message_type = ChatMessageType::Html;
        self
    }

    /// The display name shown for the sender.
    pub fn sender_display_name(mut self, name: impl Into<String>) -> Self {
        self.sender_display_name = Some(name.into());
        self
    }

    /// Adds a metadata pair.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
}

impl From<&str> for SendChatMessageOptions {
    fn from(content: &str) -> Self {
        SendChatMessageOptions::new(content)
    }
}

impl From<String> for SendChatMessageOptions {
    fn from(content: String) -> Self {
        SendChatMessageOptions::new(content)
    }
}

/// What [`ChatThreadClient::update_message`](crate::ChatThreadClient::update_message) changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateChatMessageOptions {
    pub(crate) content: Option<String>,
    pub(crate) metadata: Option<BTreeMap<String, String>>,
}

impl UpdateChatMessageOptions {
    /// Changes nothing (until set).
    pub fn new() -> Self {
        UpdateChatMessageOptions::default()
    }

    /// New content.
    pub fn content(mut self, content: impl Into<String>) -> Self {
        self.content = Some(content.into());
        self
    }

    /// Replaces the metadata with these pairs.
    pub fn metadata(mut self, metadata: impl IntoIterator<Item = (String, String)>) -> Self {
        self.metadata = Some(metadata.into_iter().collect());
        self
    }
}

/// Options of the list operations: the page size, and where to start.
///
/// `start_time` applies to threads and messages (items at or after it), `skip` to participants
/// and read receipts; an option an operation does not take is refused before sending. A
/// continuation token (from [`ChatPage::continuation_token`](crate::ChatPage::continuation_token))
/// resumes a listing where that page left off; the other options are then carried by the
/// token and not sent again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    pub(crate) max_page_size: Option<u32>,
    pub(crate) start_time: Option<OffsetDateTime>,
    pub(crate) skip: Option<u32>,
    pub(crate) continuation_token: Option<String>,
}

impl ListOptions {
    /// The service's defaults, from the start.
    pub fn new() -> Self {
        ListOptions::default()
    }

    /// At most this many items per page (1 or more; the service may send fewer).
    pub fn max_page_size(mut self, size: u32) -> Self {
        self.max_page_size = Some(size);
        self
    }

    /// Only items at or after this time (threads, messages).
    pub fn start_time(mut self, at: OffsetDateTime) -> Self {
        self.start_time = Some(at);
        self
    }

    /// Skips this many items (participants, read receipts).
    pub fn skip(mut self, skip: u32) -> Self {
        self.skip = Some(skip);
        self
    }

    /// Resumes from a page's continuation token.
    pub fn continuation_token(mut self, token: impl Into<String>) -> Self {
        self.continuation_token = Some(token.into());
        self
    }
}
