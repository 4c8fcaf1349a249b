//! The Chat API's JSON: request bodies read, answers written, error bodies, identifiers, dates.

use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

use crate::handlers::error_body;

use super::store::{
    Message, MessageBody, Metadata, Participant, ReadReceipt, RetentionPolicy, Thread,
};

/// An error answer: `{"error":{"code","message","target"?,"innererror"?:{"code","message"}}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChatFailure {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) target: Option<String>,
    /// A precise reason (the SDKs ignore it; people reading the answer do not).
    pub(crate) inner: Option<(&'static str, String)>,
}

impl ChatFailure {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            target: None,
            inner: None,
        }
    }

    fn with_inner(mut self, code: &'static str, message: impl Into<String>) -> Self {
        self.inner = Some((code, message.into()));
        self
    }

    /// 401 as the service words it, with the precise reason inside.
    pub(crate) fn unauthorized(reason: &'static str, detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Request is not authorized.",
        )
        .with_inner(reason, detail)
    }

    /// 403 as the service words it, with the precise reason inside.
    pub(crate) fn forbidden(reason: &'static str, detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "User is not allowed to perform specified action.",
        )
        .with_inner(reason, detail)
    }

    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFound", what)
    }

    /// 400 about one field.
    pub(crate) fn bad_request(
        reason: &'static str,
        target: &str,
        message: impl Into<String>,
    ) -> Self {
        let message = message.into();
        Self {
            target: Some(target.to_owned()),
            ..Self::new(StatusCode::BAD_REQUEST, "BadRequest", message.clone())
        }
        .with_inner(reason, message)
    }
}

impl IntoResponse for ChatFailure {
    fn into_response(self) -> Response {
        let inner = self
            .inner
            .map(|(code, message)| json!({ "code": code, "message": message }));
        let body = error_body(self.code, self.message, self.target.as_deref(), inner);
        json_answer(self.status, &body)
    }
}

/// A JSON answer with the service's content type.
pub(crate) fn json_answer(status: StatusCode, body: &Value) -> Response {
    text_answer(status, body.to_string())
}

/// An answer whose body is JSON text already.
pub(crate) fn text_answer(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// Reads a JSON object body; wrong JSON or wrong types are a 400 naming what was wrong. An
/// empty body reads as `{}`.
pub(crate) fn read_json<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, ChatFailure> {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(text).map_err(|error| {
        ChatFailure::bad_request(
            "InvalidRequestBody",
            "body",
            format!("The request body is not valid: {error}."),
        )
    })
}

/// `instant` as the service writes it: UTC, whole seconds, `Z`.
pub(crate) fn format_time(instant: OffsetDateTime) -> String {
    instant
        .checked_to_offset(time::UtcOffset::UTC)
        .and_then(|utc| {
            utc.format(format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// An RFC 3339 date-time from a request, in UTC; a 400 naming `target` otherwise. An offset can
/// carry a valid text past the year 9999 in UTC (`9999-12-31T23:59:59-01:00`): refused here, as
/// it could not be written back.
pub(crate) fn parse_time(text: &str, target: &str) -> Result<OffsetDateTime, ChatFailure> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .ok()
        .and_then(|instant| instant.checked_to_offset(time::UtcOffset::UTC))
        .ok_or_else(|| {
            ChatFailure::bad_request(
                "InvalidDateTime",
                target,
                format!("{target} must be an RFC 3339 date-time such as 2024-01-02T03:04:05Z."),
            )
        })
}

// ---- identifiers ----

/// `CommunicationIdentifierModel` as the SDKs send it (`rawId` and/or the nested object).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IdentifierIn {
    raw_id: Option<String>,
    communication_user: Option<CommunicationUserIn>,
    phone_number: Option<PhoneNumberIn>,
    microsoft_teams_user: Option<TeamsUserIn>,
}

#[derive(Debug, Deserialize)]
struct CommunicationUserIn {
    id: String,
}

#[derive(Debug, Deserialize)]
struct PhoneNumberIn {
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TeamsUserIn {
    user_id: String,
    is_anonymous: Option<bool>,
    cloud: Option<String>,
}

/// Longest raw ID taken.
const MAX_RAW_ID: usize = 512;

impl IdentifierIn {
    /// The raw ID it names; 400 naming `target` when it names none.
    pub(crate) fn raw_id(&self, target: &str) -> Result<String, ChatFailure> {
        let raw = if let Some(raw) = self.raw_id.as_deref().filter(|raw| !raw.is_empty()) {
            raw.to_owned()
        } else if let Some(user) = &self.communication_user {
            user.id.clone()
        } else if let Some(phone) = &self.phone_number {
            format!("4:{}", phone.value)
        } else if let Some(teams) = &self.microsoft_teams_user {
            let prefix = if teams.is_anonymous == Some(true) {
                "8:teamsvisitor:"
            } else {
                match teams.cloud.as_deref() {
                    Some("dod") => "8:dod:",
                    Some("gcch") => "8:gcch:",
                    _ => "8:orgid:",
                }
            };
            format!("{prefix}{}", teams.user_id)
        } else {
            String::new()
        };
        if raw.trim().is_empty() {
            return Err(ChatFailure::bad_request(
                "InvalidIdentifier",
                target,
                format!("{target} must name a user (rawId or communicationUser.id)."),
            ));
        }
        if raw.len() > MAX_RAW_ID {
            return Err(ChatFailure::bad_request(
                "InvalidIdentifier",
                target,
                format!("{target} is longer than {MAX_RAW_ID} bytes."),
            ));
        }
        Ok(raw)
    }
}

/// The identifier model of a raw ID, as the service answers: `kind`, `rawId` and the nested
/// object.
pub(crate) fn identifier_json(raw_id: &str) -> Value {
    let communication_user = ["8:acs:", "8:spool:", "8:dod-acs:", "8:gcch-acs:"];
    if communication_user
        .iter()
        .any(|prefix| raw_id.starts_with(prefix))
    {
        return json!({
            "kind": "communicationUser",
            "rawId": raw_id,
            "communicationUser": { "id": raw_id },
        });
    }
    if let Some(number) = raw_id.strip_prefix("4:") {
        return json!({
            "kind": "phoneNumber",
            "rawId": raw_id,
            "phoneNumber": { "value": number },
        });
    }
    let teams = [
        ("8:orgid:", "public", false),
        ("8:dod:", "dod", false),
        ("8:gcch:", "gcch", false),
        ("8:teamsvisitor:", "public", true),
    ];
    for (prefix, cloud, anonymous) in teams {
        if let Some(user) = raw_id.strip_prefix(prefix) {
            return json!({
                "kind": "microsoftTeamsUser",
                "rawId": raw_id,
                "microsoftTeamsUser": { "userId": user, "isAnonymous": anonymous, "cloud": cloud },
            });
        }
    }
    json!({ "kind": "unknown", "rawId": raw_id })
}

// ---- request bodies ----

/// `ChatParticipant` in a request.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ParticipantIn {
    pub(crate) communication_identifier: Option<IdentifierIn>,
    pub(crate) display_name: Option<String>,
    pub(crate) share_history_time: Option<String>,
    pub(crate) metadata: Option<Metadata>,
}

/// `CreateChatThreadRequest`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateThreadIn {
    pub(crate) topic: Option<String>,
    pub(crate) participants: Option<Vec<ParticipantIn>>,
    pub(crate) metadata: Option<Metadata>,
    pub(crate) retention_policy: Option<RetentionPolicyIn>,
}

/// `UpdateChatThreadRequest` (merge-patch).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateThreadIn {
    pub(crate) topic: Option<String>,
    pub(crate) metadata: Option<Metadata>,
    pub(crate) retention_policy: Option<RetentionPolicyIn>,
}

/// `ChatRetentionPolicy` (discriminated by `kind`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RetentionPolicyIn {
    pub(crate) kind: Option<String>,
    pub(crate) delete_thread_after_days: Option<u32>,
}

impl RetentionPolicyIn {
    pub(crate) fn parse(&self) -> Result<RetentionPolicy, ChatFailure> {
        match (self.kind.as_deref(), self.delete_thread_after_days) {
            (Some("none"), _) => Ok(RetentionPolicy::None),
            (Some("threadCreationDate"), Some(days)) if (1..=90).contains(&days) => {
                Ok(RetentionPolicy::ThreadCreationDate {
                    delete_thread_after_days: days,
                })
            }
            (Some("threadCreationDate"), _) => Err(ChatFailure::bad_request(
                "InvalidRetentionPolicy",
                "retentionPolicy.deleteThreadAfterDays",
                "deleteThreadAfterDays must be 1..=90.",
            )),
            _ => Err(ChatFailure::bad_request(
                "InvalidRetentionPolicy",
                "retentionPolicy.kind",
                "retentionPolicy.kind must be threadCreationDate or none.",
            )),
        }
    }
}

/// `SendChatMessageRequest`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SendMessageIn {
    pub(crate) content: Option<String>,
    pub(crate) sender_display_name: Option<String>,
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    pub(crate) metadata: Option<Metadata>,
}

/// `UpdateChatMessageRequest` (merge-patch).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateMessageIn {
    pub(crate) content: Option<String>,
    pub(crate) metadata: Option<Metadata>,
}

/// `AddChatParticipantsRequest`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddParticipantsIn {
    pub(crate) participants: Option<Vec<ParticipantIn>>,
}

/// `SendTypingNotificationRequest`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TypingIn {
    pub(crate) sender_display_name: Option<String>,
}

/// `SendReadReceiptRequest`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReadReceiptIn {
    pub(crate) chat_message_id: Option<String>,
}

// ---- answers ----

/// Whether the answer carries the 2025-03-15 fields (thread and participant metadata, retention
/// policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Version {
    pub(crate) has_metadata: bool,
}

pub(crate) fn participant_json(participant: &Participant, version: Version) -> Value {
    let mut value = json!({
        "communicationIdentifier": identifier_json(&participant.raw_id),
        // Participants added without one come back with the epoch, as the service does.
        "shareHistoryTime": format_time(
            participant.share_history_time.unwrap_or(OffsetDateTime::UNIX_EPOCH)
        ),
    });
    if let Some(name) = &participant.display_name {
        value["displayName"] = Value::from(name.as_str());
    }
    if version.has_metadata && !participant.metadata.is_empty() {
        value["metadata"] = json!(participant.metadata);
    }
    value
}

pub(crate) fn thread_json(thread: &Thread, version: Version) -> Value {
    let mut value = json!({
        "id": thread.id,
        "topic": thread.topic,
        "createdOn": format_time(thread.created_on),
        "createdByCommunicationIdentifier": identifier_json(&thread.created_by),
    });
    if version.has_metadata {
        if !thread.metadata.is_empty() {
            value["metadata"] = json!(thread.metadata);
        }
        match thread.retention_policy {
            Some(RetentionPolicy::ThreadCreationDate {
                delete_thread_after_days,
            }) => {
                value["retentionPolicy"] = json!({
                    "kind": "threadCreationDate",
                    "deleteThreadAfterDays": delete_thread_after_days,
                });
            }
            Some(RetentionPolicy::None) => {
                value["retentionPolicy"] = json!({ "kind": "none" });
            }
            None => {}
        }
    }
    value
}

pub(crate) fn thread_item_json(thread: &Thread) -> Value {
    json!({
        "id": thread.id,
        "topic": thread.topic,
        "lastMessageReceivedOn": format_time(thread.last_message_received_on),
    })
}

pub(crate) fn message_json(message: &Message, version: Version) -> Value {
    let mut value = json!({
        "id": message.id.to_string(),
        "type": message.kind.name(),
        "sequenceId": message.sequence_id.to_string(),
        "version": message.version.to_string(),
        "createdOn": format_time(message.created_on),
    });
    match &message.body {
        MessageBody::User { content } => {
            if let Some(content) = content {
                value["content"] = json!({ "message": content });
            }
            value["senderDisplayName"] =
                Value::from(message.sender_display_name.clone().unwrap_or_default());
            if let Some(sender) = &message.sender {
                value["senderCommunicationIdentifier"] = identifier_json(sender);
            }
        }
        MessageBody::Topic { topic, initiator } => {
            value["content"] = json!({
                "topic": topic,
                "initiatorCommunicationIdentifier": identifier_json(initiator),
            });
        }
        MessageBody::Participants {
            participants,
            initiator,
        } => {
            let participants: Vec<Value> = participants
                .iter()
                .map(|participant| participant_json(participant, version))
                .collect();
            value["content"] = json!({
                "participants": participants,
                "initiatorCommunicationIdentifier": identifier_json(initiator),
            });
        }
    }
    if let Some(edited) = message.edited_on {
        value["editedOn"] = Value::from(format_time(edited));
    }
    if let Some(deleted) = message.deleted_on {
        value["deletedOn"] = Value::from(format_time(deleted));
    }
    if !message.metadata.is_empty() {
        value["metadata"] = json!(message.metadata);
    }
    value
}

pub(crate) fn read_receipt_json(receipt: &ReadReceipt) -> Value {
    json!({
        "senderCommunicationIdentifier": identifier_json(&receipt.reader),
        "chatMessageId": receipt.message_id.to_string(),
        "readOn": format_time(receipt.read_on),
    })
}

/// A page: `{"value":[...], "nextLink"?}`.
pub(crate) fn page_json(items: Vec<Value>, next_link: Option<String>) -> Value {
    let mut value = json!({ "value": items });
    if let Some(link) = next_link {
        value["nextLink"] = Value::from(link);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_are_utc_whole_seconds() {
        assert_eq!(
            format_time(datetime!(2030-01-02 03:04:05.678 +02:00)),
            "2030-01-02T01:04:05Z"
        );
        assert_eq!(
            parse_time("2024-01-02T03:04:05.000Z", "startTime").unwrap(),
            datetime!(2024-01-02 03:04:05 UTC)
        );
        assert_eq!(
            parse_time("yesterday", "startTime").unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn identifiers_come_back_with_kind_raw_id_and_the_nested_object() {
        assert_eq!(
            identifier_json("8:acs:r_u"),
            json!({"kind":"communicationUser","rawId":"8:acs:r_u","communicationUser":{"id":"8:acs:r_u"}})
        );
        assert_eq!(identifier_json("4:+1555")["phoneNumber"]["value"], "+1555");
        assert_eq!(
            identifier_json("8:orgid:x")["microsoftTeamsUser"]["userId"],
            "x"
        );
        assert_eq!(identifier_json("zzz")["kind"], "unknown");
    }

    #[test]
    fn a_request_identifier_names_its_raw_id_or_fails() {
        let only_nested: IdentifierIn =
            serde_json::from_str(r#"{"communicationUser":{"id":"8:acs:r_u"}}"#).unwrap();
        assert_eq!(only_nested.raw_id("x").unwrap(), "8:acs:r_u");
        let both: IdentifierIn =
            serde_json::from_str(r#"{"rawId":"8:acs:r_v","communicationUser":{"id":"8:acs:r_u"}}"#)
                .unwrap();
        assert_eq!(both.raw_id("x").unwrap(), "8:acs:r_v");
        let empty: IdentifierIn = serde_json::from_str("{}").unwrap();
        assert_eq!(
            empty
                .raw_id("participants[0]")
                .unwrap_err()
                .target
                .as_deref(),
            Some("participants[0]")
        );
    }
}
