//! The Chat service: threads, messages, participants, read receipts and typing, authenticated
//! with the user tokens the emulator itself issued.
//!
//! `store` holds the data and its rules, `wire` the JSON; this module is the HTTP glue:
//! routing, api-version, authentication and scopes, query options and paging.

mod store;
mod wire;

use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::body::{Body, Bytes};
use axum::response::{IntoResponse, Response};
use http::header::{AUTHORIZATION, HOST, LOCATION};
use http::request::Parts;
use http::{HeaderValue, Method, StatusCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::Value;
use time::OffsetDateTime;

use crate::route::{Target, api_version};
use crate::state::Shared;
use crate::{CHAT_API_VERSIONS, IdentityState, Route, TokenStatus, jwt};
use store::{
    Changes, ChatData, CreateReplay, MessageKind, Metadata, NewMessage, NewThread, Participant,
    Rejection, StoreError,
};
use wire::{ChatFailure, Version, json_answer, read_json, text_answer};

/// How much the Chat service of an emulator stores, and how large one request or page may be,
/// so its memory stays bounded. Past a limit a request gets a 400 (`BadRequest`, inner code
/// `LimitExceeded`, naming the limit) or, for a body, 413; nothing is evicted.
///
/// ```
/// use acs_emulator::{ChatLimits, Emulator};
/// # async fn run() -> Result<(), acs_emulator::EmulatorError> {
/// let emulator = Emulator::builder()
///     .chat_limits(ChatLimits::default().max_threads(100).max_messages_per_thread(1_000))
///     .start()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatLimits {
    pub(crate) max_threads: usize,
    pub(crate) max_participants_per_thread: usize,
    pub(crate) max_messages_per_thread: usize,
    pub(crate) max_stored_bytes: usize,
    pub(crate) max_page_size: u32,
    pub(crate) max_message_bytes: usize,
    pub(crate) max_remembered_creates: usize,
}

impl Default for ChatLimits {
    /// 10 000 threads, 250 participants per thread (the service's limit), 100 000 messages
    /// per thread, 256 MiB of stored text, pages of at most 200 items, messages of at most
    /// 28 KiB (the service's limit), 10 000 remembered idempotent creates.
    fn default() -> Self {
        Self {
            max_threads: 10_000,
            max_participants_per_thread: 250,
            max_messages_per_thread: 100_000,
            max_stored_bytes: 256 * 1024 * 1024,
            max_page_size: 200,
            max_message_bytes: 28 * 1024,
            max_remembered_creates: 10_000,
        }
    }
}

impl ChatLimits {
    /// Threads stored at once (default 10 000).
    #[must_use]
    pub fn max_threads(mut self, threads: usize) -> Self {
        self.max_threads = threads;
        self
    }

    /// Participants in one thread (default 250, as the service).
    #[must_use]
    pub fn max_participants_per_thread(mut self, participants: usize) -> Self {
        self.max_participants_per_thread = participants;
        self
    }

    /// Messages in one thread, system messages and deleted ones included (default 100 000).
    #[must_use]
    pub fn max_messages_per_thread(mut self, messages: usize) -> Self {
        self.max_messages_per_thread = messages;
        self
    }

    /// Bytes of stored messages, counting their text, metadata and a fixed overhead each
    /// (default 256 MiB).
    #[must_use]
    pub fn max_stored_bytes(mut self, bytes: usize) -> Self {
        self.max_stored_bytes = bytes;
        self
    }

    /// The largest `maxPageSize` accepted (default 200; at least 1).
    #[must_use]
    pub fn max_page_size(mut self, items: u32) -> Self {
        self.max_page_size = items.max(1);
        self
    }

    /// Bytes of one message's content plus metadata (default 28 KiB, as the service).
    #[must_use]
    pub fn max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes;
        self
    }
}

/// Largest request body read; the largest legitimate one is a 28 KiB message, JSON-escaped.
const BODY_LIMIT: usize = 256 * 1024;
/// Items per page when the request names no `maxPageSize`.
const DEFAULT_PAGE_SIZE: u32 = 100;
/// Longest topic, display name and repeatability ID taken, in characters.
const MAX_TOPIC_CHARS: usize = 1024;
const MAX_DISPLAY_NAME_CHARS: usize = 256;
const MAX_REPEATABILITY_ID_CHARS: usize = 128;
/// Thread and participant metadata, keys and values together (the spec's 1 KB).
const MAX_METADATA_BYTES: usize = 1024;
/// The first api-version with thread/participant metadata and retention policies.
const METADATA_API_VERSION: &str = "2025-03-15";

/// The Chat service's state, held by the emulator.
#[derive(Debug)]
pub(crate) struct ChatStore {
    limits: ChatLimits,
    /// `https` in TLS mode: the scheme of `nextLink`s and `Location`s.
    scheme: &'static str,
    data: Mutex<ChatData>,
}

impl ChatStore {
    pub(crate) fn new(limits: ChatLimits, tls: bool) -> Self {
        Self {
            limits,
            scheme: if tls { "https" } else { "http" },
            data: Mutex::new(ChatData::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ChatData> {
        self.data.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A chat store holding the threads kept in a data directory (each as written by
    /// [`thread_snapshot`](Self::thread_snapshot)).
    pub(crate) fn restore(
        limits: ChatLimits,
        tls: bool,
        threads: &[Vec<u8>],
    ) -> Result<Self, serde_json::Error> {
        let threads = threads
            .iter()
            .map(|bytes| serde_json::from_slice::<store::Thread>(bytes))
            .collect::<Result<Vec<_>, _>>()?;
        let restored = Self::new(limits, tls);
        *restored.lock() = ChatData::from_threads(threads);
        Ok(restored)
    }

    /// The thread `id` as it is now, serialized for the data directory (`None` once deleted).
    pub(crate) fn thread_snapshot(&self, id: &str) -> Result<Option<Vec<u8>>, serde_json::Error> {
        self.lock()
            .threads
            .get(id)
            .map(serde_json::to_vec)
            .transpose()
    }
}

/// Matches the path segments after `/chat`.
pub(crate) fn match_route(method: &Method, rest: &[&str]) -> Target {
    let route = |pairs: &[(Method, Route)]| {
        pairs.iter().find(|(wanted, _)| wanted == method).map_or(
            Target::WrongMethod,
            |(_, route)| Target::Service {
                route: *route,
                identity: None,
            },
        )
    };
    match rest {
        ["threads"] => route(&[
            (Method::POST, Route::CreateChatThread),
            (Method::GET, Route::ListChatThreads),
        ]),
        ["threads", thread] if !thread.is_empty() => route(&[
            (Method::GET, Route::GetChatThread),
            (Method::PATCH, Route::UpdateChatThread),
            (Method::DELETE, Route::DeleteChatThread),
        ]),
        ["threads", thread, tail @ ..] if !thread.is_empty() => match tail {
            ["messages"] => route(&[
                (Method::POST, Route::SendChatMessage),
                (Method::GET, Route::ListChatMessages),
            ]),
            ["messages", message] if !message.is_empty() => route(&[
                (Method::GET, Route::GetChatMessage),
                (Method::PATCH, Route::UpdateChatMessage),
                (Method::DELETE, Route::DeleteChatMessage),
            ]),
            ["participants"] => route(&[(Method::GET, Route::ListChatParticipants)]),
            ["participants", ":add"] => route(&[(Method::POST, Route::AddChatParticipants)]),
            ["participants", ":remove"] => route(&[(Method::POST, Route::RemoveChatParticipant)]),
            ["typing"] => route(&[(Method::POST, Route::SendTypingNotification)]),
            ["readReceipts"] => route(&[
                (Method::POST, Route::SendChatReadReceipt),
                (Method::GET, Route::ListChatReadReceipts),
            ]),
            ["images", ..] => Target::NotEmulated {
                service: "Chat inline images",
            },
            _ => Target::NotFound,
        },
        _ => Target::NotFound,
    }
}

/// The caller of a chat route, from its token.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Caller {
    raw_id: String,
    scope: ChatScope,
}

/// The chat scope of a token, most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ChatScope {
    /// `chat`.
    Full,
    /// `chat.join`: no creating, deleting or updating threads.
    Join,
    /// `chat.join.limited`: `chat.join` without adding or removing participants.
    JoinLimited,
}

impl ChatScope {
    fn name(self) -> &'static str {
        match self {
            ChatScope::Full => "chat",
            ChatScope::Join => "chat.join",
            ChatScope::JoinLimited => "chat.join.limited",
        }
    }

    /// The least powerful scope allowed to call `route`.
    fn needed_for(route: Route) -> ChatScope {
        match route {
            Route::CreateChatThread | Route::DeleteChatThread | Route::UpdateChatThread => {
                ChatScope::Full
            }
            Route::AddChatParticipants | Route::RemoveChatParticipant => ChatScope::Join,
            _ => ChatScope::JoinLimited,
        }
    }
}

/// Serves a chat route: api-version, body size, token and scope, then the operation.
pub(crate) async fn serve(shared: &Shared, route: Route, parts: &Parts, body: Body) -> Response {
    match serve_checked(shared, route, parts, body).await {
        Ok(response) => response,
        Err(failure) => failure.into_response(),
    }
}

async fn serve_checked(
    shared: &Shared,
    route: Route,
    parts: &Parts,
    body: Body,
) -> Result<Response, ChatFailure> {
    let version = check_api_version(parts)?;
    let body = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        ChatFailure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestBodyTooLarge",
            format!("The request body is larger than {BODY_LIMIT} bytes."),
        )
    })?;
    let caller = authenticate(shared, parts)?;
    let needed = ChatScope::needed_for(route);
    if caller.scope > needed {
        return Err(ChatFailure::forbidden(
            "InsufficientScope",
            format!(
                "{route} needs a token with the `{}` scope; this one has `{}`.",
                needed.name(),
                caller.scope.name()
            ),
        ));
    }
    let request = Request {
        shared,
        store: &shared.chat,
        parts,
        body: &body,
        caller: &caller,
        api_version: version,
        version: Version {
            has_metadata: version == METADATA_API_VERSION,
        },
        now: shared.clock.now(),
    };
    let (thread, message) = path_ids(parts.uri.path());
    let thread = thread.as_deref().unwrap_or_default();
    match route {
        Route::CreateChatThread => request.create_thread(),
        Route::ListChatThreads => request.list_threads(),
        Route::GetChatThread => request.get_thread(thread),
        Route::UpdateChatThread => request.update_thread(thread),
        Route::DeleteChatThread => request.delete_thread(thread),
        Route::SendChatMessage => request.send_message(thread),
        Route::ListChatMessages => request.list_messages(thread),
        Route::GetChatMessage => request.get_message(thread, message.as_deref()),
        Route::UpdateChatMessage => request.update_message(thread, message.as_deref()),
        Route::DeleteChatMessage => request.delete_message(thread, message.as_deref()),
        Route::ListChatParticipants => request.list_participants(thread),
        Route::AddChatParticipants => request.add_participants(thread),
        Route::RemoveChatParticipant => request.remove_participant(thread),
        Route::SendTypingNotification => request.typing(thread),
        Route::SendChatReadReceipt => request.send_read_receipt(thread),
        Route::ListChatReadReceipts => request.list_read_receipts(thread),
        _ => Err(ChatFailure::not_found(
            "No HTTP resource was found that matches the request URI.",
        )),
    }
}

/// The thread and message IDs of a `/chat/threads/{thread}[/messages/{message}]` path, decoded.
fn path_ids(raw_path: &str) -> (Option<String>, Option<String>) {
    let segment = |index: usize| {
        raw_path
            .trim_start_matches('/')
            .split('/')
            .nth(index)
            .map(|text| percent_decode_str(text).decode_utf8_lossy().into_owned())
    };
    let message = (segment(3).as_deref() == Some("messages"))
        .then(|| segment(4))
        .flatten();
    (segment(2), message)
}

/// The request's api-version, when it is one the chat routes accept.
fn check_api_version(parts: &Parts) -> Result<&'static str, ChatFailure> {
    let Some(version) = api_version(parts.uri.query()) else {
        return Err(ChatFailure::new(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    CHAT_API_VERSIONS
        .iter()
        .find(|known| **known == version)
        .copied()
        .ok_or_else(|| ChatFailure {
            target: Some("api-version".to_owned()),
            ..ChatFailure::new(
                StatusCode::BAD_REQUEST,
                "UnsupportedApiVersion",
                format!(
                    "The chat API does not support the API version '{}'. Supported: {}.",
                    version.chars().take(40).collect::<String>(),
                    CHAT_API_VERSIONS.join(", ")
                ),
            )
        })
}

/// Checks the bearer token: issued by this emulator (so its signature is right), not
/// expired, not revoked, its identity not deleted, and with a chat scope.
fn authenticate(shared: &Shared, parts: &Parts) -> Result<Caller, ChatFailure> {
    let Some(header) = parts.headers.get(AUTHORIZATION) else {
        return Err(ChatFailure::unauthorized(
            "MissingAuthorization",
            "Chat takes `Authorization: Bearer <ACS user access token>`.",
        ));
    };
    let token = header
        .to_str()
        .ok()
        .and_then(|value| {
            value
                .get(..7)
                .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
                .map(|_| value[7..].trim())
        })
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            ChatFailure::unauthorized(
                "MalformedAuthorization",
                "Chat takes `Authorization: Bearer <ACS user access token>` (not HMAC).",
            )
        })?;
    match shared.token_status(token) {
        TokenStatus::Valid => {}
        TokenStatus::Expired => {
            return Err(ChatFailure::unauthorized(
                "TokenExpired",
                "The access token has expired.",
            ));
        }
        TokenStatus::Revoked => {
            return Err(ChatFailure::unauthorized(
                "TokenRevoked",
                "The access token was revoked.",
            ));
        }
        TokenStatus::IdentityDeleted => {
            return Err(ChatFailure::unauthorized(
                "IdentityDeleted",
                "The identity of the access token was deleted.",
            ));
        }
        _ => {
            return Err(ChatFailure::unauthorized(
                "InvalidToken",
                "The access token was not issued by this emulator (its signature does not verify).",
            ));
        }
    }
    // Minted here, so its claims are the emulator's own.
    let claims = jwt::read_claims(token).unwrap_or_default();
    let skype_id = claims
        .get("skypeid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let scopes = claims
        .get("acsScope")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let has = |wanted: &str| scopes.split(',').any(|scope| scope.trim() == wanted);
    let scope = if has("chat") {
        ChatScope::Full
    } else if has("chat.join") {
        ChatScope::Join
    } else if has("chat.join.limited") {
        ChatScope::JoinLimited
    } else {
        return Err(ChatFailure::forbidden(
            "MissingChatScope",
            "The access token has no chat scope (chat, chat.join or chat.join.limited).",
        ));
    };
    Ok(Caller {
        raw_id: format!("8:{skype_id}"),
        scope,
    })
}

/// The query string's pairs, percent-decoded (`+` is a space).
fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |text: &str| {
                percent_decode_str(&text.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(name), decode(value))
        })
        .collect()
}

/// What is kept unescaped in nextLink values: unreserved characters only.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A path segment: an ID percent-encoded as the SDKs send it.
fn encode_segment(id: &str) -> String {
    utf8_percent_encode(id, QUERY_VALUE).to_string()
}

/// Hex of `text`, for opaque continuation tokens.
fn to_hex(text: &str) -> String {
    text.bytes().map(|byte| format!("{byte:02x}")).collect()
}

fn from_hex(hex: &str) -> Option<String> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|index| u8::from_str_radix(hex.get(index..index + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// The paging options of a list request.
#[derive(Debug)]
struct PageOptions {
    max_page_size: u32,
    start_time: Option<OffsetDateTime>,
    skip: usize,
    /// The opaque continuation of a nextLink.
    sync_state: Option<String>,
}

/// One of the four list operations' state.
struct Request<'a> {
    shared: &'a Shared,
    store: &'a ChatStore,
    parts: &'a Parts,
    body: &'a Bytes,
    caller: &'a Caller,
    api_version: &'static str,
    version: Version,
    now: OffsetDateTime,
}

type Answer = Result<Response, ChatFailure>;

impl Request<'_> {
    fn limits(&self) -> &ChatLimits {
        &self.store.limits
    }

    /// `scheme://host` of the request, for nextLinks and Locations.
    fn base(&self) -> String {
        let host = self
            .parts
            .headers
            .get(HOST)
            .and_then(|value| value.to_str().ok())
            .filter(|host| {
                !host.is_empty()
                    && host
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
            })
            .unwrap_or("127.0.0.1");
        format!("{}://{host}", self.store.scheme)
    }

    fn page_options(&self) -> Result<PageOptions, ChatFailure> {
        let mut options = PageOptions {
            max_page_size: DEFAULT_PAGE_SIZE.min(self.limits().max_page_size),
            start_time: None,
            skip: 0,
            sync_state: None,
        };
        for (name, value) in query_pairs(self.parts.uri.query()) {
            match name.as_str() {
                "maxPageSize" => {
                    let max = self.limits().max_page_size;
                    options.max_page_size = value
                        .trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|size| (1..=max).contains(size))
                        .ok_or_else(|| {
                            ChatFailure::bad_request(
                                "InvalidPageSize",
                                "maxPageSize",
                                format!("maxPageSize must be a whole number from 1 to {max}."),
                            )
                        })?;
                }
                "skip" => {
                    options.skip = value.trim().parse::<u32>().map_err(|_| {
                        ChatFailure::bad_request(
                            "InvalidSkip",
                            "skip",
                            "skip must be a whole number from 0.",
                        )
                    })? as usize;
                }
                "startTime" => options.start_time = Some(wire::parse_time(&value, "startTime")?),
                "syncState" => options.sync_state = Some(value),
                _ => {}
            }
        }
        Ok(options)
    }

    fn invalid_sync_state() -> ChatFailure {
        ChatFailure::bad_request(
            "InvalidSyncState",
            "syncState",
            "syncState is not a continuation this emulator wrote; follow nextLink as given.",
        )
    }

    /// A nextLink for this route's path with `query` (whose values are unreserved text),
    /// `maxPageSize` and `api-version`.
    fn next_link(&self, query: &str, max_page_size: u32) -> String {
        format!(
            "{}{}?{query}&maxPageSize={max_page_size}&api-version={}",
            self.base(),
            self.parts.uri.path(),
            self.api_version
        )
    }

    fn store_error(&self, error: StoreError, thread: &str) -> ChatFailure {
        match error {
            StoreError::ThreadNotFound => ChatFailure::not_found(format!(
                "Thread '{}' was not found.",
                thread.chars().take(80).collect::<String>()
            )),
            StoreError::NotAMember => ChatFailure::forbidden(
                "NotAParticipant",
                "The caller is not a participant of the thread.",
            ),
            StoreError::MessageNotFound => ChatFailure::not_found("The message was not found."),
            StoreError::SystemMessage => ChatFailure::forbidden(
                "SystemMessage",
                "System messages cannot be edited or deleted.",
            ),
            StoreError::MessageTooLarge => self.message_too_large(),
            StoreError::Limit { what, limit } => ChatFailure::bad_request(
                "LimitExceeded",
                what,
                format!(
                    "The emulator's limit of {limit} {what} would be exceeded (see acs_emulator::ChatLimits)."
                ),
            ),
        }
    }

    // ---- request checks ----

    fn check_chars(text: &str, max: usize, target: &str) -> Result<(), ChatFailure> {
        if text.chars().count() > max {
            return Err(ChatFailure::bad_request(
                "TooLong",
                target,
                format!("{target} is longer than {max} characters."),
            ));
        }
        Ok(())
    }

    fn check_metadata(metadata: &Metadata, target: &str) -> Result<(), ChatFailure> {
        if store::metadata_bytes(metadata) > MAX_METADATA_BYTES {
            return Err(ChatFailure::bad_request(
                "MetadataTooLarge",
                target,
                format!("{target} holds more than {MAX_METADATA_BYTES} bytes."),
            ));
        }
        Ok(())
    }

    /// The request's participants, checked, and whether each can be added.
    fn participants(
        &self,
        list: Vec<wire::ParticipantIn>,
    ) -> Result<Vec<(Participant, Option<Rejection>)>, ChatFailure> {
        if list.len() > self.limits().max_participants_per_thread {
            return Err(ChatFailure::bad_request(
                "LimitExceeded",
                "participants",
                format!(
                    "A request may name at most {} participants.",
                    self.limits().max_participants_per_thread
                ),
            ));
        }
        list.into_iter()
            .enumerate()
            .map(|(index, participant)| {
                let target = format!("participants[{index}]");
                let raw_id = participant
                    .communication_identifier
                    .unwrap_or_default()
                    .raw_id(&format!("{target}.communicationIdentifier"))?;
                if let Some(name) = &participant.display_name {
                    Self::check_chars(
                        name,
                        MAX_DISPLAY_NAME_CHARS,
                        &format!("{target}.displayName"),
                    )?;
                }
                let share_history_time = participant
                    .share_history_time
                    .as_deref()
                    .map(|text| wire::parse_time(text, &format!("{target}.shareHistoryTime")))
                    .transpose()?;
                let metadata = if self.version.has_metadata {
                    participant.metadata.unwrap_or_default()
                } else {
                    Metadata::new()
                };
                Self::check_metadata(&metadata, &format!("{target}.metadata"))?;
                let rejection = self.rejection(&raw_id);
                Ok((
                    Participant {
                        raw_id,
                        display_name: participant.display_name,
                        share_history_time,
                        metadata,
                    },
                    rejection,
                ))
            })
            .collect()
    }

    /// Why `raw_id` cannot join a thread, if it cannot: only live identities of this resource
    /// can.
    fn rejection(&self, raw_id: &str) -> Option<Rejection> {
        let own_prefix = format!("8:acs:{}_", self.shared.settings.resource_id);
        if !raw_id.starts_with(&own_prefix) {
            return Some(Rejection::Forbidden);
        }
        match self.shared.identity_state(raw_id) {
            Some(IdentityState::Active) => None,
            _ => Some(Rejection::NotFound),
        }
    }

    fn partial_errors(rejected: &[(Participant, Rejection)]) -> Vec<Value> {
        rejected
            .iter()
            .map(|(participant, rejection)| {
                let (code, message) = match rejection {
                    Rejection::Forbidden => ("403", "Permissions check failed"),
                    Rejection::NotFound => ("404", "Not found"),
                };
                serde_json::json!({
                    "code": code,
                    "message": message,
                    "target": participant.raw_id,
                })
            })
            .collect()
    }

    fn message_id(message: Option<&str>) -> Result<u64, ChatFailure> {
        message
            .and_then(|text| text.trim().parse::<u64>().ok())
            .ok_or_else(|| ChatFailure::not_found("The message was not found."))
    }

    fn created(&self, location: String, body: String) -> Response {
        let mut response = text_answer(StatusCode::CREATED, body);
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(LOCATION, value);
        }
        response
    }

    fn thread_location(&self, thread: &str) -> String {
        format!("{}/chat/threads/{}", self.base(), encode_segment(thread))
    }

    // ---- operations ----

    fn create_thread(&self) -> Answer {
        let repeatability = self
            .parts
            .headers
            .get("repeatability-request-id")
            .map(|value| {
                value
                    .to_str()
                    .ok()
                    .map(str::trim)
                    .filter(|id| !id.is_empty() && id.chars().count() <= MAX_REPEATABILITY_ID_CHARS)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        ChatFailure::bad_request(
                            "InvalidRepeatabilityRequestId",
                            "repeatability-request-id",
                            format!(
                                "repeatability-request-id must be 1 to {MAX_REPEATABILITY_ID_CHARS} visible characters."
                            ),
                        )
                    })
            })
            .transpose()?;
        let key = repeatability.map(|id| (self.caller.raw_id.clone(), id));
        if let Some(key) = &key
            && let Some(replay) = self.store.lock().replays.get(key).cloned()
        {
            return Ok(self.created(self.thread_location(&replay.thread_id), replay.body));
        }

        let request: wire::CreateThreadIn = read_json(self.body)?;
        let topic = request
            .topic
            .filter(|topic| !topic.trim().is_empty())
            .ok_or_else(|| {
                ChatFailure::bad_request("MissingField", "topic", "topic is required.")
            })?;
        Self::check_chars(&topic, MAX_TOPIC_CHARS, "topic")?;
        let (metadata, retention_policy) = if self.version.has_metadata {
            let metadata = request.metadata.unwrap_or_default();
            Self::check_metadata(&metadata, "metadata")?;
            let policy = request
                .retention_policy
                .map(|policy| policy.parse())
                .transpose()?;
            (metadata, policy)
        } else {
            (Metadata::new(), None)
        };
        let mut accepted = Vec::new();
        let mut rejected = Vec::new();
        for (participant, rejection) in
            self.participants(request.participants.unwrap_or_default())?
        {
            match rejection {
                // The creator is always a member, whoever it is.
                Some(rejection) if participant.raw_id != self.caller.raw_id => {
                    rejected.push((participant, rejection));
                }
                _ => accepted.push(participant),
            }
        }

        let mut data = self.store.lock();
        // A retry that raced the first attempt: answer as the first did.
        if let Some(key) = &key
            && let Some(replay) = data.replays.get(key).cloned()
        {
            return Ok(self.created(self.thread_location(&replay.thread_id), replay.body));
        }
        let thread_id = data
            .create_thread(
                self.limits(),
                self.now,
                &self.caller.raw_id,
                NewThread {
                    topic,
                    participants: accepted,
                    metadata,
                    retention_policy,
                },
            )
            .map_err(|error| self.store_error(error, ""))?;
        let thread = data
            .threads
            .get(&thread_id)
            .ok_or_else(|| self.store_error(StoreError::ThreadNotFound, &thread_id))?;
        let mut answer =
            serde_json::json!({ "chatThread": wire::thread_json(thread, self.version) });
        if !rejected.is_empty() {
            answer["invalidParticipants"] = Value::from(Self::partial_errors(&rejected));
        }
        let body = answer.to_string();
        if let Some(key) = key {
            data.remember_create(
                self.limits(),
                key,
                CreateReplay {
                    thread_id: thread_id.clone(),
                    body: body.clone(),
                },
            );
        }
        drop(data);
        Ok(self.created(self.thread_location(&thread_id), body))
    }

    fn list_threads(&self) -> Answer {
        let options = self.page_options()?;
        // Continuation: the last thread given (its lastMessageReceivedOn and ID) and startTime.
        let (after, start_time) = match &options.sync_state {
            Some(state) => {
                let text = from_hex(state).ok_or_else(Self::invalid_sync_state)?;
                let mut parts = text.splitn(3, ' ');
                let received: i128 = parts
                    .next()
                    .and_then(|value| value.parse().ok())
                    .ok_or_else(Self::invalid_sync_state)?;
                let start = match parts.next() {
                    Some("-") => None,
                    Some(value) => Some(
                        value
                            .parse::<i128>()
                            .ok()
                            .and_then(|nanos| OffsetDateTime::from_unix_timestamp_nanos(nanos).ok())
                            .ok_or_else(Self::invalid_sync_state)?,
                    ),
                    None => return Err(Self::invalid_sync_state()),
                };
                let id = parts
                    .next()
                    .ok_or_else(Self::invalid_sync_state)?
                    .to_owned();
                (Some((received, id)), start)
            }
            None => (None, options.start_time),
        };
        let data = self.store.lock();
        let mut threads: Vec<(i128, &store::Thread)> = data
            .threads
            .values()
            .filter(|thread| thread.members_ever.contains(&self.caller.raw_id))
            .filter(|thread| {
                start_time.is_none_or(|start| thread.last_message_received_on >= start)
            })
            .map(|thread| {
                (
                    thread.last_message_received_on.unix_timestamp_nanos(),
                    thread,
                )
            })
            .collect();
        // Newest activity first; the ID breaks ties so the order is total.
        threads
            .sort_by(|(a_time, a), (b_time, b)| b_time.cmp(a_time).then_with(|| a.id.cmp(&b.id)));
        let remaining: Vec<&(i128, &store::Thread)> = threads
            .iter()
            .filter(|(received, thread)| match &after {
                Some((after_received, after_id)) => {
                    received < after_received
                        || (received == after_received && thread.id.as_str() > after_id.as_str())
                }
                None => true,
            })
            .collect();
        let size = options.max_page_size as usize;
        let page: Vec<Value> = remaining
            .iter()
            .take(size)
            .map(|(_, thread)| wire::thread_item_json(thread))
            .collect();
        let next_link = (remaining.len() > size).then(|| {
            let (received, last) = remaining[size - 1];
            let start = start_time.map_or("-".to_owned(), |start| {
                start.unix_timestamp_nanos().to_string()
            });
            let state = to_hex(&format!("{received} {start} {}", last.id));
            self.next_link(&format!("syncState={state}"), options.max_page_size)
        });
        Ok(json_answer(
            StatusCode::OK,
            &wire::page_json(page, next_link),
        ))
    }

    fn get_thread(&self, thread: &str) -> Answer {
        let data = self.store.lock();
        let found = data
            .read(thread, &self.caller.raw_id)
            .map_err(|error| self.store_error(error, thread))?;
        Ok(json_answer(
            StatusCode::OK,
            &wire::thread_json(found, self.version),
        ))
    }

    fn update_thread(&self, thread: &str) -> Answer {
        let request: wire::UpdateThreadIn = read_json(self.body)?;
        if let Some(topic) = &request.topic {
            if topic.trim().is_empty() {
                return Err(ChatFailure::bad_request(
                    "InvalidTopic",
                    "topic",
                    "topic must not be empty.",
                ));
            }
            Self::check_chars(topic, MAX_TOPIC_CHARS, "topic")?;
        }
        let (metadata, policy) = if self.version.has_metadata {
            if let Some(metadata) = &request.metadata {
                Self::check_metadata(metadata, "metadata")?;
            }
            let policy = request
                .retention_policy
                .map(|policy| policy.parse())
                .transpose()?;
            (request.metadata, policy)
        } else {
            (None, None)
        };
        self.store
            .lock()
            .update_thread(
                self.limits(),
                self.now,
                thread,
                &self.caller.raw_id,
                Changes {
                    text: request.topic,
                    metadata,
                    retention_policy: policy,
                },
            )
            .map_err(|error| self.store_error(error, thread))?;
        Ok(StatusCode::NO_CONTENT.into_response())
    }

    fn delete_thread(&self, thread: &str) -> Answer {
        self.store
            .lock()
            .delete_thread(thread, &self.caller.raw_id)
            .map_err(|error| self.store_error(error, thread))?;
        Ok(StatusCode::NO_CONTENT.into_response())
    }

    fn check_message_size(&self, content: &str, metadata: &Metadata) -> Result<(), ChatFailure> {
        if content.len() + store::metadata_bytes(metadata) > self.limits().max_message_bytes {
            return Err(self.message_too_large());
        }
        Ok(())
    }

    fn message_too_large(&self) -> ChatFailure {
        let max = self.limits().max_message_bytes;
        ChatFailure::bad_request(
            "MessageTooLarge",
            "content",
            format!("The message's content and metadata are larger than {max} bytes."),
        )
    }

    fn send_message(&self, thread: &str) -> Answer {
        let request: wire::SendMessageIn = read_json(self.body)?;
        let content = request.content.ok_or_else(|| {
            ChatFailure::bad_request("MissingField", "content", "content is required.")
        })?;
        let kind = match request.kind.as_deref() {
            None | Some("text") => MessageKind::Text,
            Some("html") => MessageKind::Html,
            Some(_) => {
                return Err(ChatFailure::bad_request(
                    "InvalidMessageType",
                    "type",
                    "type must be text or html.",
                ));
            }
        };
        if let Some(name) = &request.sender_display_name {
            Self::check_chars(name, MAX_DISPLAY_NAME_CHARS, "senderDisplayName")?;
        }
        let metadata = request.metadata.unwrap_or_default();
        self.check_message_size(&content, &metadata)?;
        let id = self
            .store
            .lock()
            .send_message(
                self.limits(),
                self.now,
                thread,
                &self.caller.raw_id,
                NewMessage {
                    kind,
                    content,
                    sender_display_name: request.sender_display_name,
                    metadata,
                },
            )
            .map_err(|error| self.store_error(error, thread))?;
        let location = format!("{}/messages/{id}", self.thread_location(thread));
        Ok(self.created(location, format!(r#"{{"id":"{id}"}}"#)))
    }

    fn list_messages(&self, thread: &str) -> Answer {
        let options = self.page_options()?;
        // Continuation: the sequence ID to continue below, and startTime.
        let (below, start_time) = match &options.sync_state {
            Some(state) => {
                let text = from_hex(state).ok_or_else(Self::invalid_sync_state)?;
                let (below, start) = text.split_once(' ').ok_or_else(Self::invalid_sync_state)?;
                let below: u64 = below.parse().map_err(|_| Self::invalid_sync_state())?;
                let start = match start {
                    "-" => None,
                    nanos => Some(
                        nanos
                            .parse::<i128>()
                            .ok()
                            .and_then(|nanos| OffsetDateTime::from_unix_timestamp_nanos(nanos).ok())
                            .ok_or_else(Self::invalid_sync_state)?,
                    ),
                };
                (Some(below), start)
            }
            None => (None, options.start_time),
        };
        let data = self.store.lock();
        let found = data
            .read(thread, &self.caller.raw_id)
            .map_err(|error| self.store_error(error, thread))?;
        let end = below.map_or(found.messages.len(), |below| {
            (below.saturating_sub(1) as usize).min(found.messages.len())
        });
        let size = options.max_page_size as usize;
        let mut matching = found.messages[..end]
            .iter()
            .rev()
            .filter(|message| start_time.is_none_or(|start| message.created_on >= start));
        let page: Vec<&store::Message> = matching.by_ref().take(size).collect();
        let more = page.len() == size && matching.next().is_some();
        let items: Vec<Value> = page
            .iter()
            .map(|message| wire::message_json(message, self.version))
            .collect();
        let next_link = more.then(|| {
            let last = page.last().map_or(1, |message| message.sequence_id);
            let start = start_time.map_or("-".to_owned(), |start| {
                start.unix_timestamp_nanos().to_string()
            });
            let state = to_hex(&format!("{last} {start}"));
            self.next_link(&format!("syncState={state}"), options.max_page_size)
        });
        Ok(json_answer(
            StatusCode::OK,
            &wire::page_json(items, next_link),
        ))
    }

    fn get_message(&self, thread: &str, message: Option<&str>) -> Answer {
        let data = self.store.lock();
        let found = data
            .read(thread, &self.caller.raw_id)
            .map_err(|error| self.store_error(error, thread))?;
        let message = found
            .message(Self::message_id(message)?)
            .ok_or_else(|| ChatFailure::not_found("The message was not found."))?;
        Ok(json_answer(
            StatusCode::OK,
            &wire::message_json(message, self.version),
        ))
    }

    fn update_message(&self, thread: &str, message: Option<&str>) -> Answer {
        let request: wire::UpdateMessageIn = read_json(self.body)?;
        let message_id = Self::message_id(message)?;
        // The edit alone is checked here; the message it makes, in the store.
        self.check_message_size(
            request.content.as_deref().unwrap_or_default(),
            request.metadata.as_ref().unwrap_or(&Metadata::new()),
        )?;
        self.store
            .lock()
            .update_message(
                self.limits(),
                self.now,
                thread,
                &self.caller.raw_id,
                message_id,
                Changes {
                    text: request.content,
                    metadata: request.metadata,
                    retention_policy: None,
                },
            )
            .map_err(|error| self.store_error(error, thread))?;
        Ok(StatusCode::NO_CONTENT.into_response())
    }

    fn delete_message(&self, thread: &str, message: Option<&str>) -> Answer {
        let message_id = Self::message_id(message)?;
        self.store
            .lock()
            .delete_message(self.now, thread, &self.caller.raw_id, message_id)
            .map_err(|error| self.store_error(error, thread))?;
        Ok(StatusCode::NO_CONTENT.into_response())
    }

    /// A skip-based page of `items` (participants, read receipts).
    fn skip_page(&self, options: &PageOptions, items: Vec<Value>) -> Response {
        let size = options.max_page_size as usize;
        let total = items.len();
        let page: Vec<Value> = items.into_iter().skip(options.skip).take(size).collect();
        let next = options.skip.saturating_add(size);
        let next_link =
            (next < total).then(|| self.next_link(&format!("skip={next}"), options.max_page_size));
        json_answer(StatusCode::OK, &wire::page_json(page, next_link))
    }

    fn list_participants(&self, thread: &str) -> Answer {
        let options = self.page_options()?;
        let data = self.store.lock();
        let found = data
            .read(thread, &self.caller.raw_id)
            .map_err(|error| self.store_error(error, thread))?;
        let items = found
            .participants
            .iter()
            .map(|participant| wire::participant_json(participant, self.version))
            .collect();
        Ok(self.skip_page(&options, items))
    }

    fn add_participants(&self, thread: &str) -> Answer {
        let request: wire::AddParticipantsIn = read_json(self.body)?;
        let list = request.participants.ok_or_else(|| {
            ChatFailure::bad_request("MissingField", "participants", "participants is required.")
        })?;
        let mut accepted = Vec::new();
        let mut rejected = Vec::new();
        for (participant, rejection) in self.participants(list)? {
            match rejection {
                Some(rejection) => rejected.push((participant, rejection)),
                None => accepted.push(participant),
            }
        }
        self.store
            .lock()
            .add_participants(
                self.limits(),
                self.now,
                thread,
                &self.caller.raw_id,
                accepted,
            )
            .map_err(|error| self.store_error(error, thread))?;
        let mut answer = serde_json::json!({});
        if !rejected.is_empty() {
            answer["invalidParticipants"] = Value::from(Self::partial_errors(&rejected));
        }
        Ok(json_answer(StatusCode::CREATED, &answer))
    }

    fn remove_participant(&self, thread: &str) -> Answer {
        let identifier: wire::IdentifierIn = read_json(self.body)?;
        let removed = identifier.raw_id("body")?;
        self.store
            .lock()
            .remove_participant(
                self.limits(),
                self.now,
                thread,
                &self.caller.raw_id,
                &removed,
            )
            .map_err(|error| self.store_error(error, thread))?;
        Ok(StatusCode::NO_CONTENT.into_response())
    }

    fn typing(&self, thread: &str) -> Answer {
        let request: wire::TypingIn = read_json(self.body)?;
        if let Some(name) = &request.sender_display_name {
            Self::check_chars(name, MAX_DISPLAY_NAME_CHARS, "senderDisplayName")?;
        }
        self.store
            .lock()
            .typing(thread, &self.caller.raw_id)
            .map_err(|error| self.store_error(error, thread))?;
        Ok(StatusCode::OK.into_response())
    }

    fn send_read_receipt(&self, thread: &str) -> Answer {
        let request: wire::ReadReceiptIn = read_json(self.body)?;
        let message = request.chat_message_id.ok_or_else(|| {
            ChatFailure::bad_request(
                "MissingField",
                "chatMessageId",
                "chatMessageId is required.",
            )
        })?;
        let message_id = message.trim().parse::<u64>().map_err(|_| {
            ChatFailure::bad_request(
                "InvalidMessageId",
                "chatMessageId",
                "chatMessageId is not a message ID of this thread.",
            )
        })?;
        self.store
            .lock()
            .send_read_receipt(self.now, thread, &self.caller.raw_id, message_id)
            .map_err(|error| self.store_error(error, thread))?;
        Ok(StatusCode::OK.into_response())
    }

    fn list_read_receipts(&self, thread: &str) -> Answer {
        let options = self.page_options()?;
        let data = self.store.lock();
        let found = data
            .read(thread, &self.caller.raw_id)
            .map_err(|error| self.store_error(error, thread))?;
        let items = found
            .read_receipts
            .iter()
            .map(wire::read_receipt_json)
            .collect();
        Ok(self.skip_page(&options, items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_paths_and_methods_are_matched() {
        let target = |method: Method, path: &str| {
            let rest: Vec<&str> = path.split('/').collect();
            match_route(&method, &rest)
        };
        let service = |route| Target::Service {
            route,
            identity: None,
        };
        assert_eq!(
            target(Method::POST, "threads"),
            service(Route::CreateChatThread)
        );
        assert_eq!(
            target(Method::GET, "threads"),
            service(Route::ListChatThreads)
        );
        assert_eq!(target(Method::PUT, "threads"), Target::WrongMethod);
        assert_eq!(
            target(Method::PATCH, "threads/t/messages/1"),
            service(Route::UpdateChatMessage)
        );
        assert_eq!(
            target(Method::POST, "threads/t/participants/:remove"),
            service(Route::RemoveChatParticipant)
        );
        assert_eq!(
            target(Method::GET, "threads/t/readReceipts"),
            service(Route::ListChatReadReceipts)
        );
        assert_eq!(target(Method::GET, "threads/t/nothing"), Target::NotFound);
        assert_eq!(target(Method::GET, "threads//messages"), Target::NotFound);
        assert!(matches!(
            target(Method::POST, "threads/t/images"),
            Target::NotEmulated { .. }
        ));
    }

    #[test]
    fn ids_are_read_from_the_path_decoded() {
        assert_eq!(
            path_ids("/chat/threads/19%3Aabc%40thread.v2/messages/123"),
            (Some("19:abc@thread.v2".to_owned()), Some("123".to_owned()))
        );
        assert_eq!(
            path_ids("/chat/threads/19:abc@thread.v2/participants"),
            (Some("19:abc@thread.v2".to_owned()), None)
        );
    }

    #[test]
    fn continuations_round_trip_through_hex() {
        let text = "1700000000000000000 - 19:abc@thread.v2";
        let hex = to_hex(text);
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(from_hex(&hex).as_deref(), Some(text));
        assert_eq!(from_hex("zz"), None);
        assert_eq!(from_hex("abc"), None);
    }

    #[test]
    fn scopes_order_from_most_to_least_powerful() {
        assert!(ChatScope::Full < ChatScope::Join);
        assert!(ChatScope::Join < ChatScope::JoinLimited);
        assert_eq!(
            ChatScope::needed_for(Route::CreateChatThread),
            ChatScope::Full
        );
        assert_eq!(
            ChatScope::needed_for(Route::AddChatParticipants),
            ChatScope::Join
        );
        assert_eq!(
            ChatScope::needed_for(Route::SendChatMessage),
            ChatScope::JoinLimited
        );
    }
}
