//! What the Chat service remembers: threads with their participants, messages and read receipts,
//! and the answers of idempotent creates. Plain data (strings, numbers, instants, vectors), so it
//! can be saved and loaded as it is; no HTTP here.

use std::collections::{BTreeMap, HashMap, VecDeque};

use time::OffsetDateTime;

use super::ChatLimits;

/// String pairs attached to a thread, a participant or a message.
pub(crate) type Metadata = BTreeMap<String, String>;

/// Bytes counted for one stored message besides its text (its fixed fields and bookkeeping),
/// so the storage budget of [`ChatLimits`] tracks real memory roughly.
const MESSAGE_OVERHEAD: usize = 160;

/// A member of a thread.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Participant {
    /// Raw ID (`8:acs:<resource>_<user>`).
    pub(crate) raw_id: String,
    pub(crate) display_name: Option<String>,
    pub(crate) share_history_time: Option<OffsetDateTime>,
    pub(crate) metadata: Metadata,
}

/// The `type` of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum MessageKind {
    Text,
    Html,
    TopicUpdated,
    ParticipantAdded,
    ParticipantRemoved,
}

impl MessageKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::Html => "html",
            MessageKind::TopicUpdated => "topicUpdated",
            MessageKind::ParticipantAdded => "participantAdded",
            MessageKind::ParticipantRemoved => "participantRemoved",
        }
    }
}

/// What a message says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum MessageBody {
    /// A user's `text` or `html` message (`None` once deleted).
    User { content: Option<String> },
    /// `topicUpdated`.
    Topic { topic: String, initiator: String },
    /// `participantAdded` / `participantRemoved`.
    Participants {
        participants: Vec<Participant>,
        initiator: String,
    },
}

impl MessageBody {
    /// Bytes of its text, as counted in the storage budget.
    fn stored_bytes(&self) -> usize {
        match self {
            MessageBody::User { content } => content.as_ref().map_or(0, String::len),
            MessageBody::Topic { topic, initiator } => topic.len() + initiator.len(),
            MessageBody::Participants {
                participants,
                initiator,
            } => participants.iter().map(participant_bytes).sum::<usize>() + initiator.len(),
        }
    }
}

/// One message of a thread.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Message {
    /// Creation time in Unix milliseconds, made unique and increasing within the thread.
    pub(crate) id: u64,
    pub(crate) kind: MessageKind,
    /// 1, 2, 3... in the thread, counting system messages.
    pub(crate) sequence_id: u64,
    /// `id` when created; the edit time in Unix milliseconds after an edit.
    pub(crate) version: u64,
    pub(crate) created_on: OffsetDateTime,
    pub(crate) body: MessageBody,
    /// Raw ID of the sender (user messages only).
    pub(crate) sender: Option<String>,
    pub(crate) sender_display_name: Option<String>,
    pub(crate) edited_on: Option<OffsetDateTime>,
    pub(crate) deleted_on: Option<OffsetDateTime>,
    pub(crate) metadata: Metadata,
}

impl Message {
    /// Bytes this message is counted for in the storage budget.
    fn stored_bytes(&self) -> usize {
        MESSAGE_OVERHEAD
            + self.body.stored_bytes()
            + self.sender.as_ref().map_or(0, String::len)
            + self.sender_display_name.as_ref().map_or(0, String::len)
            + metadata_bytes(&self.metadata)
    }
}

fn participant_bytes(participant: &Participant) -> usize {
    64 + participant.raw_id.len()
        + participant.display_name.as_ref().map_or(0, String::len)
        + metadata_bytes(&participant.metadata)
}

/// The sum of the lengths of every key and value.
pub(crate) fn metadata_bytes(metadata: &Metadata) -> usize {
    metadata
        .iter()
        .map(|(key, value)| key.len() + value.len())
        .sum()
}

/// The latest message a participant said they read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct ReadReceipt {
    pub(crate) reader: String,
    pub(crate) message_id: u64,
    pub(crate) read_on: OffsetDateTime,
}

/// A thread's retention policy (api-version 2025-03-15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum RetentionPolicy {
    ThreadCreationDate { delete_thread_after_days: u32 },
    None,
}

/// A chat thread.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Thread {
    /// `19:<32 hex>@thread.v2`.
    pub(crate) id: String,
    pub(crate) topic: String,
    pub(crate) created_on: OffsetDateTime,
    /// Raw ID of the creator.
    pub(crate) created_by: String,
    pub(crate) metadata: Metadata,
    pub(crate) retention_policy: Option<RetentionPolicy>,
    /// Current members, in the order they joined.
    pub(crate) participants: Vec<Participant>,
    /// Everyone who was ever a member: listing threads shows the threads a user has left too.
    pub(crate) members_ever: Vec<String>,
    /// Every message, deleted ones included, by `sequence_id` (so `messages[seq - 1]`).
    pub(crate) messages: Vec<Message>,
    pub(crate) last_message_received_on: OffsetDateTime,
    /// One per reader, in the order of their first receipt.
    pub(crate) read_receipts: Vec<ReadReceipt>,
    /// What this thread counts for in the storage budget.
    pub(crate) stored_bytes: usize,
}

impl Thread {
    pub(crate) fn participant(&self, raw_id: &str) -> Option<&Participant> {
        self.participants
            .iter()
            .find(|participant| participant.raw_id == raw_id)
    }

    pub(crate) fn is_member(&self, raw_id: &str) -> bool {
        self.participant(raw_id).is_some()
    }

    /// The message with this ID.
    pub(crate) fn message(&self, id: u64) -> Option<&Message> {
        let index = self
            .messages
            .binary_search_by_key(&id, |message| message.id)
            .ok()?;
        self.messages.get(index)
    }

    fn message_mut(&mut self, id: u64) -> Option<&mut Message> {
        let index = self
            .messages
            .binary_search_by_key(&id, |message| message.id)
            .ok()?;
        self.messages.get_mut(index)
    }

    /// A fresh message ID (and version) at `now`: its Unix milliseconds, or one more than the
    /// latest ID when the clock has not moved on.
    fn next_id(&self, now: OffsetDateTime) -> u64 {
        let millis = u64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        let last = self.messages.last().map_or(0, |message| message.id);
        millis.max(last + 1)
    }
}

/// The first answer to a create, replayed to a retry with the same repeatability ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CreateReplay {
    pub(crate) thread_id: String,
    /// The JSON body of the first answer.
    pub(crate) body: String,
}

/// Everything the Chat service stores.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ChatData {
    pub(crate) threads: HashMap<String, Thread>,
    /// `(caller raw ID, repeatability-request-id)` → the first answer.
    pub(crate) replays: HashMap<(String, String), CreateReplay>,
    /// The keys of `replays`, oldest first, so the oldest are forgotten first.
    pub(crate) replay_order: VecDeque<(String, String)>,
    /// Messages stored, across threads.
    pub(crate) message_count: usize,
    /// Bytes counted against [`ChatLimits::max_stored_bytes`].
    pub(crate) stored_bytes: usize,
}

impl ChatData {
    /// The data of `threads` as loaded from a data directory: the counters are recomputed,
    /// and no create is replayed (those answers are not kept).
    pub(crate) fn from_threads(threads: Vec<Thread>) -> Self {
        Self {
            message_count: threads.iter().map(|thread| thread.messages.len()).sum(),
            stored_bytes: threads.iter().map(|thread| thread.stored_bytes).sum(),
            threads: threads
                .into_iter()
                .map(|thread| (thread.id.clone(), thread))
                .collect(),
            ..Self::default()
        }
    }
}

/// Why a store operation did not happen. The HTTP layer turns it into the service's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreError {
    ThreadNotFound,
    NotAMember,
    MessageNotFound,
    /// A system message cannot be edited or deleted.
    SystemMessage,
    /// An edit would make the message's content and metadata larger than
    /// [`ChatLimits::max_message_bytes`].
    MessageTooLarge,
    /// A limit of [`ChatLimits`] would be passed: which, and its value.
    Limit {
        what: &'static str,
        limit: usize,
    },
}

/// A thread to create.
#[derive(Debug, Clone)]
pub(crate) struct NewThread {
    pub(crate) topic: String,
    pub(crate) participants: Vec<Participant>,
    pub(crate) metadata: Metadata,
    pub(crate) retention_policy: Option<RetentionPolicy>,
}

/// What an update sets (`None`: left as it is).
#[derive(Debug, Clone, Default)]
pub(crate) struct Changes {
    /// The thread's topic, or the message's content.
    pub(crate) text: Option<String>,
    pub(crate) metadata: Option<Metadata>,
    pub(crate) retention_policy: Option<RetentionPolicy>,
}

/// A new message to store.
#[derive(Debug, Clone)]
pub(crate) struct NewMessage {
    pub(crate) kind: MessageKind,
    pub(crate) content: String,
    pub(crate) sender_display_name: Option<String>,
    pub(crate) metadata: Metadata,
}

/// Why a requested participant was not added: the service's `"403"` / `"404"` partial errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// Not an identity of this resource (another resource, a phone number, a Teams user...).
    Forbidden,
    /// An identity of this resource that does not exist or was deleted.
    NotFound,
}

impl ChatData {
    fn member_thread(&self, thread_id: &str, caller: &str) -> Result<&Thread, StoreError> {
        let thread = self
            .threads
            .get(thread_id)
            .ok_or(StoreError::ThreadNotFound)?;
        if thread.is_member(caller) {
            Ok(thread)
        } else {
            Err(StoreError::NotAMember)
        }
    }

    fn member_thread_mut(
        &mut self,
        thread_id: &str,
        caller: &str,
    ) -> Result<&mut Thread, StoreError> {
        let thread = self
            .threads
            .get_mut(thread_id)
            .ok_or(StoreError::ThreadNotFound)?;
        if thread.is_member(caller) {
            Ok(thread)
        } else {
            Err(StoreError::NotAMember)
        }
    }

    /// The thread, for a read by `caller` (who must be a member).
    pub(crate) fn read(&self, thread_id: &str, caller: &str) -> Result<&Thread, StoreError> {
        self.member_thread(thread_id, caller)
    }

    /// Checks the budget for `extra` more bytes and one more message.
    fn reserve(
        &self,
        limits: &ChatLimits,
        extra: usize,
        thread: &Thread,
    ) -> Result<(), StoreError> {
        if thread.messages.len() >= limits.max_messages_per_thread {
            return Err(StoreError::Limit {
                what: "messages per thread",
                limit: limits.max_messages_per_thread,
            });
        }
        if self.stored_bytes + extra > limits.max_stored_bytes {
            return Err(StoreError::Limit {
                what: "stored bytes",
                limit: limits.max_stored_bytes,
            });
        }
        Ok(())
    }

    /// Appends a message to `thread_id` (no checks but the budget), returning its ID.
    fn append(
        &mut self,
        limits: &ChatLimits,
        thread_id: &str,
        now: OffsetDateTime,
        make: impl FnOnce(u64, u64) -> Message,
    ) -> Result<u64, StoreError> {
        let thread = self
            .threads
            .get(thread_id)
            .ok_or(StoreError::ThreadNotFound)?;
        let id = thread.next_id(now);
        let message = make(id, thread.messages.len() as u64 + 1);
        let bytes = message.stored_bytes();
        self.reserve(limits, bytes, thread)?;
        let thread = self
            .threads
            .get_mut(thread_id)
            .ok_or(StoreError::ThreadNotFound)?;
        thread.messages.push(message);
        thread.last_message_received_on = now;
        thread.stored_bytes += bytes;
        self.stored_bytes += bytes;
        self.message_count += 1;
        Ok(id)
    }

    /// Checks that a system message with `body` fits in `thread_id`, before the change it
    /// reports is made: a change refused by a limit is not made.
    fn system_message_fits(
        &self,
        limits: &ChatLimits,
        thread_id: &str,
        body: &MessageBody,
    ) -> Result<(), StoreError> {
        let thread = self
            .threads
            .get(thread_id)
            .ok_or(StoreError::ThreadNotFound)?;
        self.reserve(limits, MESSAGE_OVERHEAD + body.stored_bytes(), thread)
    }

    fn system_message(
        &mut self,
        limits: &ChatLimits,
        thread_id: &str,
        now: OffsetDateTime,
        kind: MessageKind,
        body: MessageBody,
    ) -> Result<u64, StoreError> {
        self.append(limits, thread_id, now, |id, sequence_id| Message {
            id,
            kind,
            sequence_id,
            version: id,
            created_on: now,
            body,
            sender: None,
            sender_display_name: None,
            edited_on: None,
            deleted_on: None,
            metadata: Metadata::new(),
        })
    }

    /// Creates a thread with `creator` and the accepted `participants` (the creator is added
    /// when missing), writing the `participantAdded` and `topicUpdated` system messages.
    pub(crate) fn create_thread(
        &mut self,
        limits: &ChatLimits,
        now: OffsetDateTime,
        creator: &str,
        new: NewThread,
    ) -> Result<String, StoreError> {
        let NewThread {
            topic,
            mut participants,
            metadata,
            retention_policy,
        } = new;
        if self.threads.len() >= limits.max_threads {
            return Err(StoreError::Limit {
                what: "threads",
                limit: limits.max_threads,
            });
        }
        if !participants.iter().any(|p| p.raw_id == creator) {
            participants.insert(
                0,
                Participant {
                    raw_id: creator.to_owned(),
                    display_name: None,
                    share_history_time: None,
                    metadata: Metadata::new(),
                },
            );
        }
        dedup_participants(&mut participants);
        if participants.len() > limits.max_participants_per_thread {
            return Err(StoreError::Limit {
                what: "participants per thread",
                limit: limits.max_participants_per_thread,
            });
        }
        let id = format!("19:{}@thread.v2", uuid::Uuid::new_v4().simple());
        let thread = Thread {
            id: id.clone(),
            topic: topic.clone(),
            created_on: now,
            created_by: creator.to_owned(),
            metadata,
            retention_policy,
            members_ever: participants.iter().map(|p| p.raw_id.clone()).collect(),
            participants: participants.clone(),
            messages: Vec::new(),
            last_message_received_on: now,
            read_receipts: Vec::new(),
            stored_bytes: 0,
        };
        self.threads.insert(id.clone(), thread);
        let written = self
            .system_message(
                limits,
                &id,
                now,
                MessageKind::ParticipantAdded,
                MessageBody::Participants {
                    participants,
                    initiator: creator.to_owned(),
                },
            )
            .and_then(|_| {
                self.system_message(
                    limits,
                    &id,
                    now,
                    MessageKind::TopicUpdated,
                    MessageBody::Topic {
                        topic,
                        initiator: creator.to_owned(),
                    },
                )
            });
        if let Err(error) = written {
            self.delete_thread_unchecked(&id);
            return Err(error);
        }
        Ok(id)
    }

    /// Remembers the answer to a create for `(caller, repeatability ID)`, forgetting the oldest
    /// beyond the limit.
    pub(crate) fn remember_create(
        &mut self,
        limits: &ChatLimits,
        key: (String, String),
        replay: CreateReplay,
    ) {
        if self.replays.insert(key.clone(), replay).is_none() {
            self.replay_order.push_back(key);
        }
        while self.replay_order.len() > limits.max_remembered_creates {
            if let Some(oldest) = self.replay_order.pop_front() {
                self.replays.remove(&oldest);
            }
        }
    }

    pub(crate) fn delete_thread(
        &mut self,
        thread_id: &str,
        caller: &str,
    ) -> Result<(), StoreError> {
        self.member_thread(thread_id, caller)?;
        self.delete_thread_unchecked(thread_id);
        Ok(())
    }

    fn delete_thread_unchecked(&mut self, thread_id: &str) {
        if let Some(thread) = self.threads.remove(thread_id) {
            self.stored_bytes -= thread.stored_bytes;
            self.message_count -= thread.messages.len();
        }
    }

    /// Sets the topic (writing `topicUpdated` when it changes), metadata and retention policy.
    pub(crate) fn update_thread(
        &mut self,
        limits: &ChatLimits,
        now: OffsetDateTime,
        thread_id: &str,
        caller: &str,
        changes: Changes,
    ) -> Result<(), StoreError> {
        let Changes {
            text: topic,
            metadata,
            retention_policy,
        } = changes;
        let current = &self.member_thread(thread_id, caller)?.topic;
        let new_topic = topic.filter(|topic| topic != current);
        let topic_message = new_topic.as_ref().map(|topic| MessageBody::Topic {
            topic: topic.clone(),
            initiator: caller.to_owned(),
        });
        if let Some(body) = &topic_message {
            self.system_message_fits(limits, thread_id, body)?;
        }
        let thread = self.member_thread_mut(thread_id, caller)?;
        if let Some(metadata) = metadata {
            thread.metadata = metadata;
        }
        if let Some(policy) = retention_policy {
            thread.retention_policy = Some(policy);
        }
        if let Some(topic) = new_topic {
            thread.topic = topic;
        }
        if let Some(body) = topic_message {
            self.system_message(limits, thread_id, now, MessageKind::TopicUpdated, body)?;
        }
        Ok(())
    }

    pub(crate) fn send_message(
        &mut self,
        limits: &ChatLimits,
        now: OffsetDateTime,
        thread_id: &str,
        caller: &str,
        message: NewMessage,
    ) -> Result<u64, StoreError> {
        self.member_thread(thread_id, caller)?;
        let display_name = message.sender_display_name;
        self.append(limits, thread_id, now, |id, sequence_id| Message {
            id,
            kind: message.kind,
            sequence_id,
            version: id,
            created_on: now,
            body: MessageBody::User {
                content: Some(message.content),
            },
            sender: Some(caller.to_owned()),
            sender_display_name: display_name,
            edited_on: None,
            deleted_on: None,
            metadata: message.metadata,
        })
    }

    /// Replaces a user message's content and/or metadata; a new version and `editedOn`.
    pub(crate) fn update_message(
        &mut self,
        limits: &ChatLimits,
        now: OffsetDateTime,
        thread_id: &str,
        caller: &str,
        message_id: u64,
        changes: Changes,
    ) -> Result<(), StoreError> {
        let Changes {
            text: content,
            metadata,
            ..
        } = changes;
        let stored_bytes = self.stored_bytes;
        let thread = self.member_thread_mut(thread_id, caller)?;
        let version = thread.next_id(now);
        let message = thread
            .message_mut(message_id)
            .filter(|message| message.deleted_on.is_none())
            .ok_or(StoreError::MessageNotFound)?;
        let MessageBody::User { content: current } = &mut message.body else {
            return Err(StoreError::SystemMessage);
        };
        let before = current.as_ref().map_or(0, String::len) + metadata_bytes(&message.metadata);
        let after = content.as_ref().or(current.as_ref()).map_or(0, String::len)
            + metadata
                .as_ref()
                .map_or(metadata_bytes(&message.metadata), metadata_bytes);
        if after > limits.max_message_bytes {
            return Err(StoreError::MessageTooLarge);
        }
        if after > before && stored_bytes + (after - before) > limits.max_stored_bytes {
            return Err(StoreError::Limit {
                what: "stored bytes",
                limit: limits.max_stored_bytes,
            });
        }
        if let Some(content) = content {
            *current = Some(content);
        }
        if let Some(metadata) = metadata {
            message.metadata = metadata;
        }
        message.version = version.max(message.version + 1);
        message.edited_on = Some(now);
        thread.stored_bytes = thread.stored_bytes + after - before;
        self.stored_bytes = stored_bytes + after - before;
        Ok(())
    }

    /// Marks a user message deleted and drops its content (a deleted message is still listed,
    /// with `deletedOn`). Deleting it again is a no-op.
    pub(crate) fn delete_message(
        &mut self,
        now: OffsetDateTime,
        thread_id: &str,
        caller: &str,
        message_id: u64,
    ) -> Result<(), StoreError> {
        let thread = self.member_thread_mut(thread_id, caller)?;
        let message = thread
            .message_mut(message_id)
            .ok_or(StoreError::MessageNotFound)?;
        if message.deleted_on.is_some() {
            return Ok(());
        }
        let MessageBody::User { content } = &mut message.body else {
            return Err(StoreError::SystemMessage);
        };
        let freed = content.take().map_or(0, |text| text.len()) + metadata_bytes(&message.metadata);
        message.metadata.clear();
        message.deleted_on = Some(now);
        thread.stored_bytes -= freed;
        self.stored_bytes -= freed;
        Ok(())
    }

    /// Adds the accepted participants (those already present are left as they are) and writes
    /// one `participantAdded` listing the new ones.
    pub(crate) fn add_participants(
        &mut self,
        limits: &ChatLimits,
        now: OffsetDateTime,
        thread_id: &str,
        caller: &str,
        mut participants: Vec<Participant>,
    ) -> Result<(), StoreError> {
        let thread = self.member_thread(thread_id, caller)?;
        dedup_participants(&mut participants);
        participants.retain(|participant| !thread.is_member(&participant.raw_id));
        if participants.is_empty() {
            return Ok(());
        }
        if thread.participants.len() + participants.len() > limits.max_participants_per_thread {
            return Err(StoreError::Limit {
                what: "participants per thread",
                limit: limits.max_participants_per_thread,
            });
        }
        let body = MessageBody::Participants {
            participants: participants.clone(),
            initiator: caller.to_owned(),
        };
        self.system_message_fits(limits, thread_id, &body)?;
        let thread = self.member_thread_mut(thread_id, caller)?;
        for participant in participants {
            if !thread.members_ever.contains(&participant.raw_id) {
                thread.members_ever.push(participant.raw_id.clone());
            }
            thread.participants.push(participant);
        }
        self.system_message(limits, thread_id, now, MessageKind::ParticipantAdded, body)?;
        Ok(())
    }

    /// Removes `removed` (a no-op when not a member) and writes `participantRemoved`.
    pub(crate) fn remove_participant(
        &mut self,
        limits: &ChatLimits,
        now: OffsetDateTime,
        thread_id: &str,
        caller: &str,
        removed: &str,
    ) -> Result<(), StoreError> {
        let thread = self.member_thread(thread_id, caller)?;
        let Some(index) = thread
            .participants
            .iter()
            .position(|participant| participant.raw_id == removed)
        else {
            return Ok(());
        };
        let body = MessageBody::Participants {
            participants: vec![thread.participants[index].clone()],
            initiator: caller.to_owned(),
        };
        self.system_message_fits(limits, thread_id, &body)?;
        let thread = self.member_thread_mut(thread_id, caller)?;
        thread.participants.remove(index);
        thread
            .read_receipts
            .retain(|receipt| receipt.reader != removed);
        self.system_message(
            limits,
            thread_id,
            now,
            MessageKind::ParticipantRemoved,
            body,
        )?;
        Ok(())
    }

    /// Checks that `caller` may send a typing notification (no state is kept).
    pub(crate) fn typing(&self, thread_id: &str, caller: &str) -> Result<(), StoreError> {
        self.member_thread(thread_id, caller).map(|_| ())
    }

    /// Records that `caller` read up to `message_id` (an older message than the one already
    /// recorded changes nothing).
    pub(crate) fn send_read_receipt(
        &mut self,
        now: OffsetDateTime,
        thread_id: &str,
        caller: &str,
        message_id: u64,
    ) -> Result<(), StoreError> {
        let thread = self.member_thread_mut(thread_id, caller)?;
        let sequence = thread
            .message(message_id)
            .map(|message| message.sequence_id)
            .ok_or(StoreError::MessageNotFound)?;
        let current = thread
            .read_receipts
            .iter()
            .position(|receipt| receipt.reader == caller);
        match current {
            Some(index) => {
                let older = thread
                    .message(thread.read_receipts[index].message_id)
                    .is_some_and(|message| message.sequence_id > sequence);
                if !older {
                    thread.read_receipts[index].message_id = message_id;
                    thread.read_receipts[index].read_on = now;
                }
            }
            None => thread.read_receipts.push(ReadReceipt {
                reader: caller.to_owned(),
                message_id,
                read_on: now,
            }),
        }
        Ok(())
    }
}

/// Keeps the first of participants with the same raw ID.
fn dedup_participants(participants: &mut Vec<Participant>) {
    let mut seen = std::collections::HashSet::new();
    participants.retain(|participant| seen.insert(participant.raw_id.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2030-01-01 00:00 UTC);

    fn user(id: &str) -> Participant {
        Participant {
            raw_id: id.to_owned(),
            display_name: None,
            share_history_time: None,
            metadata: Metadata::new(),
        }
    }

    fn thread(topic: &str, participants: Vec<Participant>) -> NewThread {
        NewThread {
            topic: topic.to_owned(),
            participants,
            metadata: Metadata::new(),
            retention_policy: None,
        }
    }

    fn text(content: &str) -> NewMessage {
        NewMessage {
            kind: MessageKind::Text,
            content: content.to_owned(),
            sender_display_name: None,
            metadata: Metadata::new(),
        }
    }

    #[test]
    fn ids_stay_unique_and_increasing_when_the_clock_stands_still() {
        let limits = ChatLimits::default();
        let mut data = ChatData::default();
        let thread = data
            .create_thread(&limits, NOW, "a", thread("t", vec![]))
            .unwrap();
        let first = data
            .send_message(&limits, NOW, &thread, "a", text("1"))
            .unwrap();
        let second = data
            .send_message(&limits, NOW, &thread, "a", text("2"))
            .unwrap();
        assert!(second > first);
        let stored = &data.threads[&thread];
        let sequences: Vec<u64> = stored.messages.iter().map(|m| m.sequence_id).collect();
        assert_eq!(sequences, [1, 2, 3, 4]);
        assert_eq!(stored.message(second).unwrap().sequence_id, 4);
        assert_eq!(data.message_count, 4);
    }

    #[test]
    fn the_byte_budget_is_returned_when_messages_and_threads_go() {
        let limits = ChatLimits::default();
        let mut data = ChatData::default();
        let thread = data
            .create_thread(&limits, NOW, "a", thread("t", vec![user("b")]))
            .unwrap();
        let after_create = data.stored_bytes;
        let id = data
            .send_message(&limits, NOW, &thread, "a", text(&"x".repeat(1000)))
            .unwrap();
        assert!(data.stored_bytes >= after_create + 1000);
        data.delete_message(NOW, &thread, "b", id).unwrap();
        assert!(data.stored_bytes < after_create + 1000);
        data.delete_thread(&thread, "a").unwrap();
        assert_eq!((data.stored_bytes, data.message_count), (0, 0));
    }

    #[test]
    fn the_budget_refuses_what_does_not_fit() {
        let limits = ChatLimits::default().max_stored_bytes(4096);
        let mut data = ChatData::default();
        let thread = data
            .create_thread(&limits, NOW, "a", thread("t", vec![]))
            .unwrap();
        let refused = data.send_message(&limits, NOW, &thread, "a", text(&"x".repeat(5000)));
        assert_eq!(
            refused,
            Err(StoreError::Limit {
                what: "stored bytes",
                limit: 4096
            })
        );
    }
}
