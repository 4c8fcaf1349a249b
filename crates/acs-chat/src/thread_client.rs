use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use acs_identifiers::CommunicationIdentifier;
use http::Method;
use tokio::time::Instant;

use crate::client::API_VERSION_2025_03_15;
use crate::error::{ChatError, ChatOperation};
use crate::models::{
    AddChatParticipantsResult, ChatMessage, ChatMessageReadReceipt, ChatParticipant,
    ChatRetentionPolicy, ChatThreadProperties, FailedParticipant, SendChatMessageResult,
};
use crate::options::{
    ListOptions, SendChatMessageOptions, UpdateChatMessageOptions, UpdateChatThreadOptions,
};
use crate::paging::{self, ChatItems, Takes};
use crate::pipeline::{Call, Pipeline, segment};
use crate::wire::{
    AddChatParticipantsRequest, AddChatParticipantsResponse, SendChatMessageRequest,
    SendChatMessageResponse, SendReadReceiptRequest, TypingNotificationRequest,
    UpdateChatMessageRequest, UpdateChatThreadRequest, request_identifier,
};

/// How long after a typing notification the next one is skipped, as the JS SDK does.
pub const TYPING_NOTIFICATION_INTERVAL: Duration = Duration::from_secs(8);

/// A client for one chat thread: its properties, messages, participants, read receipts and
/// typing notifications. Made by [`ChatClient::chat_thread_client`](crate::ChatClient::chat_thread_client);
/// it shares that client's credential, HTTP client and options. Clones share the typing
/// notification throttle.
#[derive(Clone)]
pub struct ChatThreadClient {
    pipeline: Arc<Pipeline>,
    thread_id: Arc<str>,
    /// `/chat/threads/{id}` with the id percent-encoded.
    thread_path: Arc<str>,
    /// When the last typing notification was sent (tokio's clock).
    last_typing: Arc<Mutex<Option<Instant>>>,
}

impl fmt::Debug for ChatThreadClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatThreadClient")
            .field("thread_id", &self.thread_id)
            .field("endpoint", &self.pipeline.endpoint)
            .field("api_version", &self.pipeline.api_version)
            .finish_non_exhaustive()
    }
}

fn not_empty(value: &str, argument: &'static str) -> Result<(), ChatError> {
    if value.trim().is_empty() {
        return Err(ChatError::InvalidArgument {
            argument,
            reason: "must not be empty",
        });
    }
    Ok(())
}

/// Refuses a retention policy kind that was read from the service but cannot be sent.
pub(crate) fn check_policy(policy: Option<&ChatRetentionPolicy>) -> Result<(), ChatError> {
    if matches!(policy, Some(ChatRetentionPolicy::Unknown)) {
        return Err(ChatError::InvalidArgument {
            argument: "retention_policy",
            reason: "an unknown retention policy kind cannot be sent",
        });
    }
    Ok(())
}

impl ChatThreadClient {
    pub(crate) fn new(pipeline: Arc<Pipeline>, thread_id: String) -> Result<Self, ChatError> {
        not_empty(&thread_id, "thread_id")?;
        let thread_path = format!("/chat/threads/{}", segment(&thread_id));
        Ok(ChatThreadClient {
            pipeline,
            thread_id: thread_id.into(),
            thread_path: thread_path.into(),
            last_typing: Arc::new(Mutex::new(None)),
        })
    }

    /// The thread id.
    pub fn thread_id(&self) -> &str {
        &self.thread_id
    }

    fn url(&self, suffix: &str) -> url::Url {
        self.pipeline.url(&format!("{}{suffix}", self.thread_path))
    }

    /// The thread's properties (`GET /chat/threads/{id}`).
    ///
    /// # Errors
    /// [`ChatError::Request`] when the request fails (404 for an unknown thread, 403 for a
    /// user who is not a participant); [`ChatError::InvalidResponse`] for an unreadable answer.
    pub async fn properties(&self) -> Result<ChatThreadProperties, ChatError> {
        let call = Call::new(ChatOperation::GetProperties, Method::GET, self.url(""));
        Ok(self.pipeline.send_json(&call).await?.0)
    }

    /// Changes the topic (`PATCH /chat/threads/{id}`).
    ///
    /// # Errors
    /// [`ChatError::InvalidArgument`] for an empty topic; then as
    /// [`update_properties`](Self::update_properties).
    pub async fn update_topic(&self, topic: &str) -> Result<(), ChatError> {
        not_empty(topic, "topic")?;
        self.update_properties(UpdateChatThreadOptions::new().topic(topic))
            .await
    }

    /// Changes the topic, metadata or retention policy (`PATCH /chat/threads/{id}`, merge
    /// patch: what is not set is not sent). Metadata and retention policies need api-version
    /// 2025-03-15.
    ///
    /// # Errors
    /// [`ChatError::UnsupportedByApiVersion`] or [`ChatError::InvalidArgument`] before
    /// sending; [`ChatError::Request`] when the request fails.
    pub async fn update_properties(
        &self,
        options: UpdateChatThreadOptions,
    ) -> Result<(), ChatError> {
        if options.metadata.is_some() {
            self.pipeline
                .require(API_VERSION_2025_03_15, "thread metadata")?;
        }
        if options.retention_policy.is_some() {
            self.pipeline
                .require(API_VERSION_2025_03_15, "a retention policy")?;
        }
        check_policy(options.retention_policy.as_ref())?;
        if let Some(topic) = &options.topic {
            not_empty(topic, "topic")?;
        }
        let body = UpdateChatThreadRequest {
            topic: options.topic.as_deref(),
            metadata: options.metadata.as_ref(),
            retention_policy: options.retention_policy.as_ref(),
        };
        let call =
            Call::new(ChatOperation::UpdateProperties, Method::PATCH, self.url("")).json(&body)?;
        self.pipeline.send(&call).await.map(drop)
    }

    /// Sends a message (`POST /chat/threads/{id}/messages`): text, or HTML with
    /// [`SendChatMessageOptions::html`]. A `&str` is a text message. Sending a message lets the
    /// next typing notification through at once.
    ///
    /// # Errors
    /// [`ChatError::InvalidArgument`] for empty content; [`ChatError::Request`] when the
    /// request fails; [`ChatError::InvalidResponse`] when the answer has no message id.
    pub async fn send_message(
        &self,
        message: impl Into<SendChatMessageOptions>,
    ) -> Result<SendChatMessageResult, ChatError> {
        let operation = ChatOperation::SendMessage;
        let message = message.into();
        not_empty(&message.content, "content")?;
        let body = SendChatMessageRequest {
            content: &message.content,
            sender_display_name: message.sender_display_name.as_deref(),
            message_type: &message.message_type,
            metadata: &message.metadata,
        };
        let call = Call::new(operation, Method::POST, self.url("/messages")).json(&body)?;
        let (answer, response): (SendChatMessageResponse, _) =
            self.pipeline.send_json(&call).await?;
        if answer.id.trim().is_empty() {
            return Err(Pipeline::invalid(
                operation,
                &response,
                "the sent message has an empty id",
            ));
        }
        *self.lock_typing() = None;
        Ok(SendChatMessageResult { id: answer.id })
    }

    /// The thread's messages, newest first (`GET /chat/threads/{id}/messages`), as a stream of
    /// items; [`by_page`](ChatItems::by_page) for pages. Takes `max_page_size` and
    /// `start_time`. System messages (topic and participant changes) are included.
    pub fn list_messages(&self, options: ListOptions) -> ChatItems<ChatMessage> {
        self.list(
            ChatOperation::ListMessages,
            "/messages",
            options,
            Takes::StartTime,
        )
    }

    /// One message (`GET /chat/threads/{id}/messages/{message}`).
    ///
    /// # Errors
    /// [`ChatError::InvalidArgument`] for an empty id; [`ChatError::Request`] when the request
    /// fails (404 for an unknown message); [`ChatError::InvalidResponse`] for an unreadable
    /// answer.
    pub async fn get_message(&self, message_id: &str) -> Result<ChatMessage, ChatError> {
        not_empty(message_id, "message_id")?;
        let url = self.url(&format!("/messages/{}", segment(message_id)));
        let call = Call::new(ChatOperation::GetMessage, Method::GET, url);
        Ok(self.pipeline.send_json(&call).await?.0)
    }

    /// Edits a message's content or metadata (`PATCH .../messages/{message}`).
    ///
    /// # Errors
    /// [`ChatError::InvalidArgument`] for an empty id or empty new content;
    /// [`ChatError::Request`] when the request fails.
    pub async fn update_message(
        &self,
        message_id: &str,
        options: UpdateChatMessageOptions,
    ) -> Result<(), ChatError> {
        not_empty(message_id, "message_id")?;
        if let Some(content) = &options.content {
            not_empty(content, "content")?;
        }
        let body = UpdateChatMessageRequest {
            content: options.content.as_deref(),
            metadata: options.metadata.as_ref(),
        };
        let url = self.url(&format!("/messages/{}", segment(message_id)));
        let call = Call::new(ChatOperation::UpdateMessage, Method::PATCH, url).json(&body)?;
        self.pipeline.send(&call).await.map(drop)
    }

    /// Deletes a message (`DELETE .../messages/{message}`).
    ///
    /// # Errors
    /// [`ChatError::InvalidArgument`] for an empty id; [`ChatError::Request`] when the request
    /// fails.
    pub async fn delete_message(&self, message_id: &str) -> Result<(), ChatError> {
        not_empty(message_id, "message_id")?;
        let url = self.url(&format!("/messages/{}", segment(message_id)));
        let call = Call::new(ChatOperation::DeleteMessage, Method::DELETE, url);
        self.pipeline.send(&call).await.map(drop)
    }

    /// The thread's participants (`GET /chat/threads/{id}/participants`), as a stream of
    /// items; [`by_page`](ChatItems::by_page) for pages. Takes `max_page_size` and `skip`.
    pub fn list_participants(&self, options: ListOptions) -> ChatItems<ChatParticipant> {
        self.list(
            ChatOperation::ListParticipants,
            "/participants",
            options,
            Takes::Skip,
        )
    }

    /// Adds participants (`POST .../participants/:add`). Adding someone already present
    /// changes nothing.
    ///
    /// Participants the service could not add come back in the result with the service's
    /// reason and the participant to retry; this is not an error, since the others were added.
    ///
    /// # Errors
    /// [`ChatError::InvalidArgument`] for no participants or an empty identifier;
    /// [`ChatError::Request`] when the request fails; [`ChatError::InvalidResponse`] for an
    /// unreadable answer.
    pub async fn add_participants(
        &self,
        participants: impl IntoIterator<Item = ChatParticipant>,
    ) -> Result<AddChatParticipantsResult, ChatError> {
        let participants: Vec<ChatParticipant> = participants.into_iter().collect();
        if participants.is_empty() {
            return Err(ChatError::InvalidArgument {
                argument: "participants",
                reason: "name at least one participant",
            });
        }
        self.pipeline.check_participants(&participants)?;
        let body = AddChatParticipantsRequest {
            participants: &participants,
        };
        let url = self.url("/participants/:add");
        let call = Call::new(ChatOperation::AddParticipants, Method::POST, url).json(&body)?;
        let (answer, _): (AddChatParticipantsResponse, _) = self.pipeline.send_json(&call).await?;
        Ok(AddChatParticipantsResult {
            failed_participants: answer
                .invalid_participants
                .into_iter()
                .map(|error| FailedParticipant::pair(error, &participants))
                .collect(),
        })
    }

    /// Removes a participant (`POST .../participants/:remove`).
    ///
    /// # Errors
    /// [`ChatError::InvalidArgument`] for an empty identifier; [`ChatError::Request`] when the
    /// request fails.
    pub async fn remove_participant(
        &self,
        participant: &CommunicationIdentifier,
    ) -> Result<(), ChatError> {
        not_empty(participant.raw_id(), "participant")?;
        let body = request_identifier(participant);
        let url = self.url("/participants/:remove");
        let call = Call::new(ChatOperation::RemoveParticipant, Method::POST, url).json(&body)?;
        self.pipeline.send(&call).await.map(drop)
    }

    /// Tells the other participants the user is typing (`POST .../typing`).
    ///
    /// Throttled as the JS SDK does: within [`TYPING_NOTIFICATION_INTERVAL`] (8 s) of the
    /// last notification sent through this client (or a clone), nothing is sent and the
    /// result is `Ok(false)`; [`send_message`](Self::send_message) resets the interval.
    /// `Ok(true)` when a notification was sent.
    ///
    /// # Errors
    /// [`ChatError::Request`] when the request fails (the interval is then not started).
    pub async fn send_typing_notification(
        &self,
        sender_display_name: Option<&str>,
    ) -> Result<bool, ChatError> {
        let now = Instant::now();
        let previous = {
            let mut last = self.lock_typing();
            if let Some(at) = *last
                && now.saturating_duration_since(at) < TYPING_NOTIFICATION_INTERVAL
            {
                tracing::debug!(thread_id = %self.thread_id, "typing notification skipped: one was sent less than 8 s ago");
                return Ok(false);
            }
            last.replace(now)
        };
        let body = TypingNotificationRequest {
            sender_display_name,
        };
        let call = Call::new(
            ChatOperation::SendTypingNotification,
            Method::POST,
            self.url("/typing"),
        )
        .json(&body)?;
        match self.pipeline.send(&call).await {
            Ok(_) => Ok(true),
            Err(error) => {
                let mut last = self.lock_typing();
                if *last == Some(now) {
                    *last = previous;
                }
                Err(error)
            }
        }
    }

    /// Marks `message_id` as the latest message the user has read (`POST .../readReceipts`).
    ///
    /// # Errors
    /// [`ChatError::InvalidArgument`] for an empty id; [`ChatError::Request`] when the request
    /// fails.
    pub async fn send_read_receipt(&self, message_id: &str) -> Result<(), ChatError> {
        not_empty(message_id, "message_id")?;
        let body = SendReadReceiptRequest {
            chat_message_id: message_id,
        };
        let call = Call::new(
            ChatOperation::SendReadReceipt,
            Method::POST,
            self.url("/readReceipts"),
        )
        .json(&body)?;
        self.pipeline.send(&call).await.map(drop)
    }

    /// The participants' read receipts (`GET .../readReceipts`), as a stream of items;
    /// [`by_page`](ChatItems::by_page) for pages. Takes `max_page_size` and `skip`.
    pub fn list_read_receipts(&self, options: ListOptions) -> ChatItems<ChatMessageReadReceipt> {
        self.list(
            ChatOperation::ListReadReceipts,
            "/readReceipts",
            options,
            Takes::Skip,
        )
    }

    fn list<T>(
        &self,
        operation: ChatOperation,
        suffix: &str,
        options: ListOptions,
        takes: Takes,
    ) -> ChatItems<T>
    where
        T: serde::de::DeserializeOwned + Send + 'static,
    {
        paging::list(
            Arc::clone(&self.pipeline),
            operation,
            &format!("{}{suffix}", self.thread_path),
            options,
            takes,
        )
    }

    fn lock_typing(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.last_typing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
