//! Request bodies, collections, and the serde helpers of the chat JSON models.

use std::collections::BTreeMap;

use acs_http::AcsErrorDetail;
use acs_identifiers::{CommunicationIdentifier, CommunicationIdentifierModel};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

use crate::models::{ChatMessageType, ChatParticipant, ChatRetentionPolicy, ChatThreadProperties};

/// Writes an identifier as both official SDKs do in chat requests: `rawId` and the nested
/// model, without `kind` (and, for phone numbers, without `isAnonymous` and `assertedId`).
pub(crate) fn identifier<S: Serializer>(
    identifier: &CommunicationIdentifier,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    request_identifier(identifier).serialize(serializer)
}

/// The request form of an identifier (see [`identifier`]).
pub(crate) fn request_identifier(
    identifier: &CommunicationIdentifier,
) -> CommunicationIdentifierModel {
    let mut model = CommunicationIdentifierModel::from(identifier);
    model.kind = None;
    if let Some(phone) = &mut model.phone_number {
        phone.is_anonymous = None;
        phone.asserted_id = None;
    }
    model
}

/// The text form of a date-time we send: UTC with milliseconds, `2020-01-01T00:00:00.000Z`, as
/// the JS SDK writes it.
pub(crate) fn format_time(at: OffsetDateTime) -> Option<String> {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    // An instant in the year 9999 at a negative offset can be past it in UTC.
    let utc = at.checked_to_offset(time::UtcOffset::UTC)?;
    (0..=9999)
        .contains(&utc.year())
        .then(|| utc.format(&format).ok())
        .flatten()
}

/// Optional date-times: RFC 3339 in (any offset, any number of fraction digits), UTC
/// milliseconds out.
pub(crate) mod optional_time {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(at) => match format_time(*at) {
                Some(text) => serializer.serialize_str(&text),
                None => Err(serde::ser::Error::custom(
                    "a date-time outside the years 0 to 9999",
                )),
            },
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        time::serde::rfc3339::option::deserialize(deserializer)
    }
}

/// `null` reads as the default (services that write every field send `null` for "none").
pub(crate) fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// `POST /chat/threads`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateChatThreadRequest<'a> {
    pub(crate) topic: &'a str,
    pub(crate) participants: &'a [ChatParticipant],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) metadata: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) retention_policy: Option<&'a ChatRetentionPolicy>,
}

/// `201` of `POST /chat/threads`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateChatThreadResponse {
    pub(crate) chat_thread: ChatThreadProperties,
    #[serde(default, deserialize_with = "null_default")]
    pub(crate) invalid_participants: Vec<AcsErrorDetail>,
}

/// `PATCH /chat/threads/{id}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateChatThreadRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) topic: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) metadata: Option<&'a BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) retention_policy: Option<&'a ChatRetentionPolicy>,
}

/// `POST /chat/threads/{id}/messages`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SendChatMessageRequest<'a> {
    pub(crate) content: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sender_display_name: Option<&'a str>,
    #[serde(rename = "type")]
    pub(crate) message_type: &'a ChatMessageType,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) metadata: &'a BTreeMap<String, String>,
}

/// `{"id"}`: the answer to a sent message.
#[derive(Deserialize)]
pub(crate) struct SendChatMessageResponse {
    pub(crate) id: String,
}

/// `PATCH /chat/threads/{id}/messages/{message}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateChatMessageRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) metadata: Option<&'a BTreeMap<String, String>>,
}

/// `POST /chat/threads/{id}/participants/:add`.
#[derive(Serialize)]
pub(crate) struct AddChatParticipantsRequest<'a> {
    pub(crate) participants: &'a [ChatParticipant],
}

/// `201` of `participants/:add`: `{}` or `{"invalidParticipants":[..]}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddChatParticipantsResponse {
    #[serde(default, deserialize_with = "null_default")]
    pub(crate) invalid_participants: Vec<AcsErrorDetail>,
}

/// `POST /chat/threads/{id}/typing`: `{}` or `{"senderDisplayName"}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TypingNotificationRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sender_display_name: Option<&'a str>,
}

/// `POST /chat/threads/{id}/readReceipts`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SendReadReceiptRequest<'a> {
    pub(crate) chat_message_id: &'a str,
}

/// One page of a list: `{"value":[..],"nextLink"?}`. `value` is required.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Collection<T> {
    pub(crate) value: Vec<T>,
    #[serde(default)]
    pub(crate) next_link: Option<String>,
}
