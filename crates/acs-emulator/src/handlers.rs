//! The request pipeline: route, fault, api-version, authentication, then the operation.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use acs_auth::AuthError;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::header::{AUTHORIZATION, RETRY_AFTER};
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::derived;
use crate::fault::{Fault, INJECTABLE_STATUSES};
use crate::jwt::{self, format_expires_on};
use crate::route::{Target, api_version, match_route};
use crate::server::BodyTimedOut;
use crate::state::{Minted, Shared, StateError};
use crate::{RequestRecord, Route};

/// Scopes the identity API grants.
pub(crate) const VALID_SCOPES: &[&str] = &[
    "chat",
    "voip",
    "chat.join",
    "chat.join.limited",
    "voip.join",
];

/// Largest body read; the API's bodies are tiny.
const BODY_LIMIT: usize = 64 * 1024;

/// How many bytes of a path the request record keeps.
pub const RECORDED_PATH_LIMIT: usize = 256;

/// The longest delay, the most uses and the longest `Retry-After` a fault queued over HTTP may
/// ask for, and how many faults may wait at once: the control route must not be a way to hang
/// the emulator.
pub(crate) const MAX_FAULT_DELAY: StdDuration = StdDuration::from_secs(60);
pub(crate) const MAX_FAULT_TIMES: u32 = 1000;
pub(crate) const MAX_FAULT_RETRY_AFTER_SECONDS: u64 = 3600;
pub(crate) const MAX_PENDING_FAULTS: usize = 100;

/// The header a request to `/_emulator/*` that changes something must carry. A web page can
/// only send a custom header after a CORS preflight, which the emulator never answers.
pub const CONTROL_HEADER: &str = "x-acs-emulator-control";

/// The longest prefix of `text` of at most `limit` bytes that ends on a character boundary.
fn cut_to(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Shortest and longest `expiresInMinutes` the service accepts.
const MIN_EXPIRES_IN_MINUTES: i64 = 60;
const MAX_EXPIRES_IN_MINUTES: i64 = 1440;

/// An error answer: `{"error":{"code","message","target"?,"innererror"?:{"code"}}}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    target: Option<&'static str>,
    inner_code: Option<&'static str>,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            target: None,
            inner_code: None,
            retry_after: None,
        }
    }

    fn bad_request(
        inner_code: &'static str,
        target: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            target: Some(target),
            inner_code: Some(inner_code),
            ..Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
        }
    }

    fn denied(inner_code: &'static str, message: impl Into<String>) -> Self {
        Self {
            inner_code: Some(inner_code),
            ..Self::new(StatusCode::UNAUTHORIZED, "Denied", message)
        }
    }

    fn identity_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "IdentityNotFound",
            "Provided identity doesn't exist.",
        )
    }
}

impl From<StateError> for ApiError {
    fn from(error: StateError) -> Self {
        match error {
            StateError::NotFound => Self::identity_not_found(),
            StateError::WriteFailed => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "StorageFailed",
                "The change could not be written to the emulator's data directory.",
            ),
        }
    }
}

/// The ACS error body `{"error":{"code","message","target"?,"innererror"?}}`, for the identity
/// and the chat answers.
pub(crate) fn error_body(
    code: &str,
    message: String,
    target: Option<&str>,
    inner: Option<Value>,
) -> Value {
    let mut error = Map::new();
    error.insert("code".to_owned(), Value::from(code));
    error.insert("message".to_owned(), Value::from(message));
    if let Some(target) = target {
        error.insert("target".to_owned(), Value::from(target));
    }
    if let Some(inner) = inner {
        error.insert("innererror".to_owned(), inner);
    }
    json!({ "error": error })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let inner = self.inner_code.map(|code| json!({ "code": code }));
        let body = error_body(self.code, self.message, self.target, inner);
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

type Answer = Result<Response, ApiError>;

/// The one handler: every request comes here.
pub(crate) async fn dispatch(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let (route, identity) = match match_route(&parts.method, &path) {
        Target::Service { route, identity } => (route, identity),
        Target::AdminFaults => {
            let answer = match admin_guard(&shared, &parts, true) {
                Ok(()) => admin_faults(&shared, &parts, body).await,
                Err(error) => Err(error),
            };
            let response = answer.unwrap_or_else(IntoResponse::into_response);
            return finish(&shared, &parts, None, response, false);
        }
        Target::AdminHealth => {
            let answer = admin_guard(&shared, &parts, false).map(|()| admin_health(&shared));
            let response = answer.unwrap_or_else(IntoResponse::into_response);
            return finish(&shared, &parts, None, response, false);
        }
        Target::WrongMethod => {
            let answer = ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                format!(
                    "The requested resource does not support http method '{}'.",
                    parts.method
                ),
            );
            return finish(&shared, &parts, None, answer.into_response(), false);
        }
        Target::NotEmulated { service } => {
            let answer = ApiError {
                inner_code: Some("ServiceNotEmulated"),
                ..ApiError::new(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    format!(
                        "This is a route of the ACS {service} service, which acs-emulator does not emulate; it emulates Identity (with the Entra ID token exchanges) and Chat."
                    ),
                )
            };
            return finish(&shared, &parts, None, answer.into_response(), false);
        }
        Target::NotFound => {
            // Not recorded: a path that matches nothing says nothing a test wants to know, and
            // a flood of them must not fill the record.
            let answer = ApiError::new(
                StatusCode::NOT_FOUND,
                "NotFound",
                "No HTTP resource was found that matches the request URI.",
            );
            let mut response = answer.into_response();
            echo_request_id(&parts, &mut response);
            return response;
        }
    };

    let mut injected = false;
    let answer = match shared.take_fault(route) {
        Some(hit) => {
            if !hit.delay.is_zero() {
                tokio::time::sleep(hit.delay).await;
            }
            match hit.status {
                Some(status) => {
                    injected = true;
                    Err(ApiError {
                        retry_after: hit.retry_after,
                        ..ApiError::new(
                            status,
                            status_code_name(status),
                            format!("Injected fault: {status}."),
                        )
                    })
                }
                None => serve(&shared, route, identity, &parts, body).await,
            }
        }
        None => serve(&shared, route, identity, &parts, body).await,
    };
    let response = answer.unwrap_or_else(IntoResponse::into_response);
    finish(&shared, &parts, Some(route), response, injected)
}

/// The request ID a client may send; Azure services echo it on every answer (the official SDKs
/// send one with each request, Python also `x-ms-return-client-request-id: true`).
const CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";

fn echo_request_id(parts: &Parts, response: &mut Response) {
    if let Some(id) = parts.headers.get(CLIENT_REQUEST_ID) {
        response.headers_mut().insert(CLIENT_REQUEST_ID, id.clone());
    }
}

/// Logs and records the answer, and echoes the client's request ID.
fn finish(
    shared: &Shared,
    parts: &Parts,
    route: Option<Route>,
    mut response: Response,
    injected: bool,
) -> Response {
    echo_request_id(parts, &mut response);
    tracing::debug!(
        method = %parts.method,
        route = route.map_or("-", Route::name),
        status = response.status().as_u16(),
        injected,
        "acs-emulator answered"
    );
    shared.record(RequestRecord {
        method: parts.method.clone(),
        path: cut_to(parts.uri.path(), RECORDED_PATH_LIMIT).to_owned(),
        route,
        status: response.status(),
        injected,
    });
    response
}

async fn serve(
    shared: &Shared,
    route: Route,
    identity: Option<String>,
    parts: &Parts,
    body: Body,
) -> Answer {
    if route.is_chat() {
        let response = crate::chat::serve(shared, route, parts, body).await;
        return Ok(keep_chat_change(shared, route, parts, response));
    }
    check_api_version(route, parts)?;
    let body = read_limited_body(body).await?;
    let bearer = authenticate(shared, route, parts, &body)?;
    let identity = identity.as_deref().unwrap_or_default();
    match route {
        Route::CreateIdentity => create_identity(shared, &body),
        Route::IssueAccessToken => issue_access_token(shared, identity, &body),
        Route::RevokeAccessTokens => {
            shared.revoke(identity)?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Route::DeleteIdentity => {
            shared.delete(identity)?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Route::ExchangeTeamsUserToken => exchange_teams_user_token(shared, &body),
        Route::ExchangeEntraToken | Route::ExchangeTeamsExtensionToken => {
            exchange_entra_token(shared, route, bearer.as_deref().unwrap_or_default())
        }
        // Served above.
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            "No HTTP resource was found that matches the request URI.",
        )),
    }
}

/// With a data directory, writes the thread a successful chat change touched before the
/// answer goes out (a 500 `StorageFailed` instead when that fails).
fn keep_chat_change(shared: &Shared, route: Route, parts: &Parts, response: Response) -> Response {
    let changes = matches!(
        route,
        Route::CreateChatThread
            | Route::UpdateChatThread
            | Route::DeleteChatThread
            | Route::SendChatMessage
            | Route::UpdateChatMessage
            | Route::DeleteChatMessage
            | Route::AddChatParticipants
            | Route::RemoveChatParticipant
            | Route::SendChatReadReceipt
    );
    if !shared.is_persistent() || !changes || !response.status().is_success() {
        return response;
    }
    // `/chat/threads/{thread}/...`, or for a create the `Location` of the new thread.
    let path = if route == Route::CreateChatThread {
        response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|location| location.to_str().ok())
            .and_then(|location| location.parse::<http::Uri>().ok())
            .map(|location| location.path().to_owned())
    } else {
        Some(parts.uri.path().to_owned())
    };
    let thread = path.as_deref().and_then(|path| {
        let segment = path.strip_prefix('/')?.split('/').nth(2)?;
        percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .ok()
            .map(|id| id.into_owned())
    });
    let Some(thread) = thread else {
        tracing::warn!("acs-emulator: a chat change names no thread; it cannot be kept");
        return ApiError::from(StateError::WriteFailed).into_response();
    };
    match shared.persist_chat_thread(&thread) {
        Ok(()) => response,
        Err(error) => ApiError::from(error).into_response(),
    }
}

fn check_api_version(route: Route, parts: &Parts) -> Result<(), ApiError> {
    let Some(version) = api_version(parts.uri.query()) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    if route.api_versions().contains(&version.as_str()) {
        return Ok(());
    }
    Err(ApiError {
        target: Some("api-version"),
        ..ApiError::new(
            StatusCode::BAD_REQUEST,
            "UnsupportedApiVersion",
            format!(
                "The HTTP resource that matches the request URI '{}' does not support the API version '{}'. Supported: {}.",
                parts.uri.path(),
                // The version is echoed, as the service does, but cut short: it is client input.
                version.chars().take(40).collect::<String>(),
                route.api_versions().join(", "),
            ),
        )
    })
}

/// Checks the caller's credentials; returns the bearer token when one was used.
///
/// Identity routes take HMAC (verified with the emulator's key) or any non-empty bearer token
/// (not verified: the emulator has no Entra ID to check it with). The Entra exchange routes take
/// only a bearer token. With `strict_auth`, identity routes take HMAC only, and the Entra routes
/// only a token shaped like an Entra ID access token.
fn authenticate(
    shared: &Shared,
    route: Route,
    parts: &Parts,
    body: &Bytes,
) -> Result<Option<String>, ApiError> {
    let authorization = parts.headers.get(AUTHORIZATION);
    let bearer = authorization
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .get(..7)
                .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
                .map(|_| value[7..].trim())
        });
    if let Some(token) = bearer {
        if token.is_empty() {
            return Err(ApiError::denied(
                "MalformedAuthorization",
                "The bearer token is empty.",
            ));
        }
        if shared.settings.strict_auth {
            if !route.is_entra_exchange() {
                return Err(ApiError::denied(
                    "BearerNotAccepted",
                    "This emulator runs with strict authentication: identity routes take HMAC only.",
                ));
            }
            if !is_entra_shaped(token) {
                return Err(ApiError::denied(
                    "InvalidToken",
                    "The bearer token is not shaped like an Entra ID access token \
                     (a JWT with `tid`, `oid` and `exp` claims).",
                ));
            }
        }
        return Ok(Some(token.to_owned()));
    }
    if route.is_entra_exchange() {
        return Err(ApiError::denied(
            if authorization.is_some() {
                "MalformedAuthorization"
            } else {
                "MissingAuthorization"
            },
            "This route takes `Authorization: Bearer <Entra ID access token>`.",
        ));
    }
    shared
        .verifier
        .verify_parts(
            &parts.method,
            &parts.uri,
            &parts.headers,
            body,
            shared.clock.now(),
        )
        .map(|()| None)
        .map_err(|error| {
            if matches!(error, AuthError::SignatureMismatch)
                && let Some(signed) = signed_host_with_slash(shared, parts, body)
            {
                return ApiError::denied(
                    "SignatureMismatch",
                    format!(
                        "Denied by the resource provider: the signature was computed over the host '{signed}', but the request's Host is '{}'. The client signed its endpoint's text with the trailing '/' (the official Python SDKs do so when the endpoint given to a client's constructor ends with '/'): remove the trailing '/' from that endpoint.",
                        signed.trim_end_matches('/')
                    ),
                );
            }
            let inner = match &error {
                AuthError::MissingHeader { name } if name == "authorization" => {
                    "MissingAuthorization"
                }
                AuthError::MissingHeader { .. } => "MissingHeader",
                AuthError::MalformedAuthorization { .. } => "MalformedAuthorization",
                AuthError::MalformedHeader { .. } => "MalformedHeader",
                AuthError::ContentHashMismatch => "ContentHashMismatch",
                AuthError::SignatureMismatch => "SignatureMismatch",
                AuthError::DateOutsideSkew { .. } => "DateOutsideSkew",
                _ => "InvalidAuthentication",
            };
            // AuthError's text never contains the key, a signature or a body.
            ApiError::denied(inner, format!("Denied by the resource provider: {error}."))
        })
}

/// When a signature verifies over the request's `Host` plus a trailing `/` (what a client that
/// signs its endpoint's text sends), that host; `None` otherwise.
fn signed_host_with_slash(shared: &Shared, parts: &Parts, body: &Bytes) -> Option<String> {
    let host = parts.headers.get(http::header::HOST)?.to_str().ok()?;
    let signed = format!("{host}/");
    let mut headers = parts.headers.clone();
    headers.insert(http::header::HOST, HeaderValue::from_str(&signed).ok()?);
    shared
        .verifier
        .verify_parts(
            &parts.method,
            &parts.uri,
            &headers,
            body,
            shared.clock.now(),
        )
        .ok()
        .map(|()| signed)
}

/// Whether `token` looks like an Entra ID access token: a JWT whose claims carry a GUID `tid`
/// and `oid` and a numeric `exp`. Nothing is verified (there is no Entra ID to ask); this only
/// keeps out what could never be one.
fn is_entra_shaped(token: &str) -> bool {
    jwt::read_claims(token).is_some_and(|claims| {
        let guid = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .and_then(guid)
                .is_some()
        };
        guid("tid") && guid("oid") && claims.get("exp").is_some_and(Value::is_number)
    })
}

/// Whether two Entra object IDs are the same: GUIDs in any case, other text exactly.
fn same_object_id(left: &str, right: &str) -> bool {
    match (guid(left), guid(right)) {
        (Some(left), Some(right)) => left == right,
        _ => left == right,
    }
}

/// `text` as a lower-case hyphenated GUID, when it is one (hyphenated, any case).
fn guid(text: &str) -> Option<String> {
    if text.len() != 36 {
        return None;
    }
    uuid::Uuid::try_parse(text)
        .ok()
        .map(|uuid| uuid.hyphenated().to_string())
}

/// Collects a request body of at most [`BODY_LIMIT`] bytes; a longer one is a 413, and one
/// that does not arrive within the body-read timeout (see the server) a 408.
async fn read_limited_body(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|error| {
            let timed_out = std::iter::successors(
                Some(&error as &(dyn std::error::Error + 'static)),
                |error| error.source(),
            )
            .any(|error| error.is::<BodyTimedOut>());
            if timed_out {
                ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "RequestTimeout",
                    "The request body did not arrive in time.",
                )
            } else {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestBodyTooLarge",
                    "The request body is too large.",
                )
            }
        })
}

/// Reads a JSON body; an empty body (or `null`) reads as `T::default()`.
fn read_body<T: for<'de> Deserialize<'de> + Default>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    match serde_json::from_slice::<Option<T>>(body) {
        Ok(value) => Ok(value.unwrap_or_default()),
        Err(error) => Err(ApiError::bad_request(
            "InvalidRequestBody",
            "body",
            format!("The request body is not valid: {error}."),
        )),
    }
}

fn check_scopes(scopes: &[String], target: &'static str) -> Result<(), ApiError> {
    if let Some(bad) = scopes
        .iter()
        .find(|scope| !VALID_SCOPES.contains(&scope.as_str()))
    {
        return Err(ApiError::bad_request(
            "InvalidScope",
            target,
            format!(
                "Scope '{}' is not valid; valid scopes are {}.",
                bad.chars().take(40).collect::<String>(),
                VALID_SCOPES.join(", ")
            ),
        ));
    }
    Ok(())
}

fn check_expires_in(shared: &Shared, minutes: Option<i64>) -> Result<(), ApiError> {
    let min = if shared.settings.allow_short_lifetimes {
        1
    } else {
        MIN_EXPIRES_IN_MINUTES
    };
    match minutes {
        Some(minutes) if !(min..=MAX_EXPIRES_IN_MINUTES).contains(&minutes) => {
            Err(ApiError::bad_request(
                "InvalidExpiresInMinutes",
                "expiresInMinutes",
                format!(
                    "expiresInMinutes must be between {min} and {MAX_EXPIRES_IN_MINUTES}; it was {minutes}."
                ),
            ))
        }
        _ => Ok(()),
    }
}

fn token_json(minted: &Minted) -> Value {
    json!({ "token": minted.token, "expiresOn": format_expires_on(minted.expires_on) })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateIdentityBody {
    create_token_with_scopes: Option<Vec<String>>,
    expires_in_minutes: Option<i64>,
}

fn create_identity(shared: &Shared, body: &Bytes) -> Answer {
    let request: CreateIdentityBody = read_body(body)?;
    let scopes = request.create_token_with_scopes.unwrap_or_default();
    check_scopes(&scopes, "createTokenWithScopes")?;
    check_expires_in(shared, request.expires_in_minutes)?;
    let id = shared.create_identity()?;
    let mut answer = json!({ "identity": { "id": id } });
    if !scopes.is_empty() {
        let lifetime = shared.lifetime(
            request.expires_in_minutes,
            shared.settings.default_identity_lifetime,
        );
        let minted = shared.issue_token(&id, &scopes, lifetime)?;
        answer["accessToken"] = token_json(&minted);
    }
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IssueTokenBody {
    scopes: Option<Vec<String>>,
    expires_in_minutes: Option<i64>,
}

fn issue_access_token(shared: &Shared, identity: &str, body: &Bytes) -> Answer {
    let request: IssueTokenBody = read_body(body)?;
    let scopes = request.scopes.unwrap_or_default();
    if scopes.is_empty() {
        return Err(ApiError::bad_request(
            "MissingScopes",
            "scopes",
            "scopes is required and must name at least one scope.",
        ));
    }
    check_scopes(&scopes, "scopes")?;
    check_expires_in(shared, request.expires_in_minutes)?;
    let lifetime = shared.lifetime(
        request.expires_in_minutes,
        shared.settings.default_identity_lifetime,
    );
    let minted = shared.issue_token(identity, &scopes, lifetime)?;
    Ok((StatusCode::OK, axum::Json(token_json(&minted))).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TeamsUserBody {
    token: Option<String>,
    app_id: Option<String>,
    user_id: Option<String>,
}

fn exchange_teams_user_token(shared: &Shared, body: &Bytes) -> Answer {
    let request: TeamsUserBody = read_body(body)?;
    let required = |value: Option<String>, name: &'static str| {
        value.filter(|text| !text.trim().is_empty()).ok_or_else(|| {
            ApiError::bad_request("MissingField", name, format!("{name} is required."))
        })
    };
    let token = required(request.token, "token")?;
    let app_id = required(request.app_id, "appId")?;
    let user_id = required(request.user_id, "userId")?;
    // When the Entra token is a readable JWT, hold it to what the service checks.
    if let Some(claims) = jwt::read_claims(&token) {
        reject_expired(shared, &claims)?;
        let oid = claims.get("oid").and_then(Value::as_str);
        if oid.is_some_and(|oid| !same_object_id(oid, &user_id)) {
            return Err(ApiError::bad_request(
                "UserIdMismatch",
                "userId",
                "userId does not match the oid claim of the token.",
            ));
        }
        let app = claims
            .get("appid")
            .or_else(|| claims.get("azp"))
            .and_then(Value::as_str);
        if app.is_some_and(|app| app != app_id) {
            return Err(ApiError::bad_request(
                "AppIdMismatch",
                "appId",
                "appId does not match the appid claim of the token.",
            ));
        }
    }
    // The user ID becomes part of the Teams user's ID (`8:orgid:<user>`): an Entra object ID
    // (a GUID) is taken, written lower-case; anything else is replaced by a GUID derived from
    // it, so no caller-chosen text (`../x:y`) reaches an identity ID.
    let user = guid(&user_id).unwrap_or_else(|| jwt::derived_uuid(&["teams-user", &user_id]));
    let lifetime = shared.lifetime(None, shared.settings.exchange_lifetime);
    let minted = shared.issue_teams_user_token(&user, lifetime);
    Ok((StatusCode::OK, axum::Json(token_json(&minted))).into_response())
}

/// 401 when a readable token's `exp` has passed on the emulator's clock.
fn reject_expired(shared: &Shared, claims: &Map<String, Value>) -> Result<(), ApiError> {
    let expired = claims
        .get("exp")
        .and_then(Value::as_f64)
        .and_then(|exp| OffsetDateTime::from_unix_timestamp(exp as i64).ok())
        .is_some_and(|exp| exp <= shared.clock.now());
    if expired {
        return Err(ApiError::denied(
            "TokenExpired",
            "The Entra ID token has expired.",
        ));
    }
    Ok(())
}

fn exchange_entra_token(shared: &Shared, route: Route, bearer: &str) -> Answer {
    let claims = jwt::read_claims(bearer);
    if let Some(claims) = &claims {
        reject_expired(shared, claims)?;
    }
    let claim = |name: &str| {
        claims
            .as_ref()
            .and_then(|claims| claims.get(name))
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
    };
    // The same Entra user always maps to the same ACS identity: key on the token's subject,
    // or on the whole text of a token that is not a readable JWT.
    let subject = claim("oid").or_else(|| claim("sub")).unwrap_or(bearer);
    let tenant = claim("tid").unwrap_or_default();
    let resource = &shared.settings.resource_id;
    let (id, scopes) = if route == Route::ExchangeTeamsExtensionToken {
        // Both become part of the identity ID: only GUIDs are taken, as Entra's are. A token
        // without them (an opaque one) gets IDs derived from its subject.
        let guid_claim = |name: &'static str, derived: &str| match claim(name) {
            Some(value) => guid(value).ok_or_else(|| {
                ApiError::bad_request(
                    "InvalidTokenClaim",
                    name,
                    format!("The token's `{name}` claim must be a GUID."),
                )
            }),
            None => Ok(jwt::derived_uuid(&[derived, subject])),
        };
        let tenant = guid_claim("tid", "tenant")?;
        let user = guid_claim("oid", "user")?;
        (
            derived::teams_extension_user_id(resource, &tenant, &user),
            vec!["voip".to_owned()],
        )
    } else {
        (
            derived::entra_user_id(resource, tenant, subject),
            vec!["chat".to_owned(), "voip".to_owned()],
        )
    };
    // Derived identities are live without being stored: this fails only for a deleted one.
    let lifetime = shared.lifetime(None, shared.settings.exchange_lifetime);
    let minted = shared.issue_token(&id, &scopes, lifetime)?;
    let answer = json!({ "identity": { "id": id }, "accessToken": token_json(&minted) });
    Ok((StatusCode::OK, axum::Json(answer)).into_response())
}

/// Who may use `/_emulator/*`. Only a request whose `Host` is the loopback interface (unless
/// the emulator was asked to listen elsewhere), so a web page that rebinds a DNS name to
/// 127.0.0.1 cannot reach it; and, for a request that changes something, only one with the
/// [`CONTROL_HEADER`] and a JSON body type, which a browser sends cross-origin only after a
/// CORS preflight, and no preflight is ever answered.
fn admin_guard(shared: &Shared, parts: &Parts, changes_state: bool) -> Result<(), ApiError> {
    if !shared.settings.open_listen && !is_loopback_host(parts) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "ForbiddenHost",
            "The emulator's control routes answer only requests to 127.0.0.1 or localhost.",
        ));
    }
    if !changes_state {
        return Ok(());
    }
    if !parts.headers.contains_key(CONTROL_HEADER) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "MissingControlHeader",
            format!("Requests that change the emulator must carry the `{CONTROL_HEADER}` header."),
        ));
    }
    if parts.method == http::Method::POST {
        let json = parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                "The body must be sent as `Content-Type: application/json`.",
            ));
        }
    }
    Ok(())
}

/// Whether the request's `Host` (or, for an absolute URI, its authority) names the loopback
/// interface: `127.0.0.1`, `localhost` or `[::1]`, with any port.
fn is_loopback_host(parts: &Parts) -> bool {
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| parts.uri.authority().map(http::uri::Authority::as_str));
    let Some(host) = host else {
        return false;
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(name, _)| name)
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost") || name == "::1"
}

/// `GET /_emulator/health`: whether it serves, its version, how long it has run, and counts.
fn admin_health(shared: &Shared) -> Response {
    let answer = json!({
        "status": "ready",
        "version": env!("CARGO_PKG_VERSION"),
        "uptimeSeconds": shared.started.elapsed().as_secs(),
        "identities": shared.identity_count(),
        "recordedRequests": shared.request_log_len(),
        "pendingFaults": shared.pending_faults(),
        "persistent": shared.is_persistent(),
    });
    (StatusCode::OK, axum::Json(answer)).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FaultBody {
    route: Option<String>,
    status: Option<u16>,
    retry_after_seconds: Option<u64>,
    delay_ms: Option<u64>,
    times: Option<u32>,
}

/// `POST /_emulator/faults` queues a fault; `DELETE /_emulator/faults` clears them (after
/// [`admin_guard`]).
async fn admin_faults(shared: &Shared, parts: &Parts, body: Body) -> Answer {
    if parts.method == http::Method::DELETE {
        shared.clear_faults();
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let body = read_limited_body(body).await?;
    let request: FaultBody = read_body(&body)?;
    let max_delay_ms = MAX_FAULT_DELAY.as_millis();
    let delay_ms = request.delay_ms.unwrap_or(0);
    if u128::from(delay_ms) > max_delay_ms {
        return Err(ApiError::bad_request(
            "InvalidDelay",
            "delayMs",
            format!("delayMs must be 0..={max_delay_ms}."),
        ));
    }
    let delay = StdDuration::from_millis(delay_ms);
    let mut fault = match request.status {
        Some(status) if INJECTABLE_STATUSES.contains(&status) => {
            Fault::status(status).with_delay(delay)
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "InvalidStatus",
                "status",
                "status must be 200..=599.",
            ));
        }
        None if request.delay_ms.is_some() => Fault::delay(delay),
        None => {
            return Err(ApiError::bad_request(
                "MissingField",
                "status",
                "A fault needs a status, a delayMs, or both.",
            ));
        }
    };
    if let Some(seconds) = request.retry_after_seconds {
        if seconds > MAX_FAULT_RETRY_AFTER_SECONDS {
            return Err(ApiError::bad_request(
                "InvalidRetryAfter",
                "retryAfterSeconds",
                format!("retryAfterSeconds must be 0..={MAX_FAULT_RETRY_AFTER_SECONDS}."),
            ));
        }
        fault = fault.retry_after(StdDuration::from_secs(seconds));
    }
    if let Some(times) = request.times {
        if times > MAX_FAULT_TIMES {
            return Err(ApiError::bad_request(
                "InvalidTimes",
                "times",
                format!("times must be 0..={MAX_FAULT_TIMES}."),
            ));
        }
        fault = fault.times(times);
    }
    if let Some(route) = request.route {
        let route = route
            .parse::<Route>()
            .map_err(|error| ApiError::bad_request("InvalidRoute", "route", error.to_string()))?;
        fault = fault.on(route);
    }
    if !shared.push_fault_within(fault, MAX_PENDING_FAULTS) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "TooManyFaults",
            format!("At most {MAX_PENDING_FAULTS} faults may wait at once; clear them first."),
        ));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A PascalCase code naming an injected status, as Azure services name theirs.
fn status_code_name(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        408 => "RequestTimeout",
        409 => "Conflict",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "InjectedFault",
    }
}
