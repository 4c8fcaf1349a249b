use std::fmt;
use std::str::FromStr;

use percent_encoding::percent_decode_str;

/// Every GA api-version of the identity API; the identity routes accept any of them.
pub const IDENTITY_API_VERSIONS: &[&str] = &[
    "2021-03-07",
    "2022-06-01",
    "2022-10-01",
    "2023-08-01",
    "2023-10-01",
    "2025-06-30",
];

/// Every stable api-version of the Chat API; the chat routes accept any of them (Python
/// `azure-communication-chat` 1.3.0 sends `2024-03-07`, JavaScript 1.6.0 `2025-03-15`).
pub const CHAT_API_VERSIONS: &[&str] = &[
    "2021-03-07",
    "2021-09-07",
    "2023-11-07",
    "2024-03-07",
    "2025-03-15",
];

/// The api-version of `POST /access/entra/:exchangeAccessToken`.
pub const ENTRA_EXCHANGE_API_VERSION: &str = "2025-03-02-preview";

/// The api-version of `POST /access/teamsExtension/:exchangeAccessToken`.
pub const TEAMS_EXTENSION_EXCHANGE_API_VERSION: &str = "2025-06-30";

/// The operations the emulator serves: what faults target and what the request log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// `POST /identities`.
    CreateIdentity,
    /// `DELETE /identities/{id}`.
    DeleteIdentity,
    /// `POST /identities/{id}/:issueAccessToken`.
    IssueAccessToken,
    /// `POST /identities/{id}/:revokeAccessTokens`.
    RevokeAccessTokens,
    /// `POST /teamsUser/:exchangeAccessToken`.
    ExchangeTeamsUserToken,
    /// `POST /access/entra/:exchangeAccessToken` (communication clients scopes).
    ExchangeEntraToken,
    /// `POST /access/teamsExtension/:exchangeAccessToken` (Teams Phone extensibility scopes).
    ExchangeTeamsExtensionToken,
    /// Chat: `POST /chat/threads`.
    CreateChatThread,
    /// Chat: `GET /chat/threads`.
    ListChatThreads,
    /// Chat: `GET /chat/threads/{thread}`.
    GetChatThread,
    /// Chat: `PATCH /chat/threads/{thread}`.
    UpdateChatThread,
    /// Chat: `DELETE /chat/threads/{thread}`.
    DeleteChatThread,
    /// Chat: `POST /chat/threads/{thread}/messages`.
    SendChatMessage,
    /// Chat: `GET /chat/threads/{thread}/messages`.
    ListChatMessages,
    /// Chat: `GET /chat/threads/{thread}/messages/{message}`.
    GetChatMessage,
    /// Chat: `PATCH /chat/threads/{thread}/messages/{message}`.
    UpdateChatMessage,
    /// Chat: `DELETE /chat/threads/{thread}/messages/{message}`.
    DeleteChatMessage,
    /// Chat: `GET /chat/threads/{thread}/participants`.
    ListChatParticipants,
    /// Chat: `POST /chat/threads/{thread}/participants/:add`.
    AddChatParticipants,
    /// Chat: `POST /chat/threads/{thread}/participants/:remove`.
    RemoveChatParticipant,
    /// Chat: `POST /chat/threads/{thread}/typing`.
    SendTypingNotification,
    /// Chat: `POST /chat/threads/{thread}/readReceipts`.
    SendChatReadReceipt,
    /// Chat: `GET /chat/threads/{thread}/readReceipts`.
    ListChatReadReceipts,
}

impl Route {
    /// Every route, in a fixed order.
    pub const ALL: [Route; 23] = [
        Route::CreateIdentity,
        Route::DeleteIdentity,
        Route::IssueAccessToken,
        Route::RevokeAccessTokens,
        Route::ExchangeTeamsUserToken,
        Route::ExchangeEntraToken,
        Route::ExchangeTeamsExtensionToken,
        Route::CreateChatThread,
        Route::ListChatThreads,
        Route::GetChatThread,
        Route::UpdateChatThread,
        Route::DeleteChatThread,
        Route::SendChatMessage,
        Route::ListChatMessages,
        Route::GetChatMessage,
        Route::UpdateChatMessage,
        Route::DeleteChatMessage,
        Route::ListChatParticipants,
        Route::AddChatParticipants,
        Route::RemoveChatParticipant,
        Route::SendTypingNotification,
        Route::SendChatReadReceipt,
        Route::ListChatReadReceipts,
    ];

    /// The route's short name, as [`Display`](fmt::Display) writes it and [`FromStr`] reads it
    /// (also used by the `/_emulator/faults` admin route): `createIdentity`, `deleteIdentity`,
    /// `issueAccessToken`, `revokeAccessTokens`, `exchangeTeamsUserToken`, `exchangeEntraToken`,
    /// `exchangeTeamsExtensionToken`, and for Chat the operation names of the REST API:
    /// `createChatThread`, `listChatThreads`, `getChatThread`, `updateChatThread`,
    /// `deleteChatThread`, `sendChatMessage`, `listChatMessages`, `getChatMessage`,
    /// `updateChatMessage`, `deleteChatMessage`, `listChatParticipants`, `addChatParticipants`,
    /// `removeChatParticipant`, `sendTypingNotification`, `sendChatReadReceipt`,
    /// `listChatReadReceipts`.
    pub fn name(self) -> &'static str {
        match self {
            Route::CreateIdentity => "createIdentity",
            Route::DeleteIdentity => "deleteIdentity",
            Route::IssueAccessToken => "issueAccessToken",
            Route::RevokeAccessTokens => "revokeAccessTokens",
            Route::ExchangeTeamsUserToken => "exchangeTeamsUserToken",
            Route::ExchangeEntraToken => "exchangeEntraToken",
            Route::ExchangeTeamsExtensionToken => "exchangeTeamsExtensionToken",
            Route::CreateChatThread => "createChatThread",
            Route::ListChatThreads => "listChatThreads",
            Route::GetChatThread => "getChatThread",
            Route::UpdateChatThread => "updateChatThread",
            Route::DeleteChatThread => "deleteChatThread",
            Route::SendChatMessage => "sendChatMessage",
            Route::ListChatMessages => "listChatMessages",
            Route::GetChatMessage => "getChatMessage",
            Route::UpdateChatMessage => "updateChatMessage",
            Route::DeleteChatMessage => "deleteChatMessage",
            Route::ListChatParticipants => "listChatParticipants",
            Route::AddChatParticipants => "addChatParticipants",
            Route::RemoveChatParticipant => "removeChatParticipant",
            Route::SendTypingNotification => "sendTypingNotification",
            Route::SendChatReadReceipt => "sendChatReadReceipt",
            Route::ListChatReadReceipts => "listChatReadReceipts",
        }
    }

    /// The api-versions this route accepts.
    pub fn api_versions(self) -> &'static [&'static str] {
        match self {
            Route::ExchangeEntraToken => &[ENTRA_EXCHANGE_API_VERSION],
            Route::ExchangeTeamsExtensionToken => &[TEAMS_EXTENSION_EXCHANGE_API_VERSION],
            route if route.is_chat() => CHAT_API_VERSIONS,
            _ => IDENTITY_API_VERSIONS,
        }
    }

    /// Whether the route is one of the two Entra token exchanges, which take only an Entra
    /// bearer token (never HMAC).
    pub fn is_entra_exchange(self) -> bool {
        matches!(
            self,
            Route::ExchangeEntraToken | Route::ExchangeTeamsExtensionToken
        )
    }
}

impl Route {
    /// Whether the route belongs to the Chat service (authenticated with ACS user tokens).
    pub fn is_chat(self) -> bool {
        matches!(
            self,
            Route::CreateChatThread
                | Route::ListChatThreads
                | Route::GetChatThread
                | Route::UpdateChatThread
                | Route::DeleteChatThread
                | Route::SendChatMessage
                | Route::ListChatMessages
                | Route::GetChatMessage
                | Route::UpdateChatMessage
                | Route::DeleteChatMessage
                | Route::ListChatParticipants
                | Route::AddChatParticipants
                | Route::RemoveChatParticipant
                | Route::SendTypingNotification
                | Route::SendChatReadReceipt
                | Route::ListChatReadReceipts
        )
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of [`Route::name`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown route name; expected one of createIdentity, deleteIdentity, issueAccessToken, revokeAccessTokens, exchangeTeamsUserToken, exchangeEntraToken, exchangeTeamsExtensionToken, or a Chat operation (createChatThread, sendChatMessage, ...: see Route::name)"
)]
pub struct UnknownRoute;

impl FromStr for Route {
    type Err = UnknownRoute;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Route::ALL
            .into_iter()
            .find(|route| route.name().eq_ignore_ascii_case(text))
            .ok_or(UnknownRoute)
    }
}

/// What a request path designates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A service route, with the decoded identity ID when the path has one.
    Service {
        route: Route,
        identity: Option<String>,
    },
    /// `POST` or `DELETE /_emulator/faults`.
    AdminFaults,
    /// `GET /_emulator/health`.
    AdminHealth,
    /// A known path with a method it does not serve.
    WrongMethod,
    /// A route of an ACS service the emulator does not emulate (named, for the 404).
    NotEmulated { service: &'static str },
    /// Nothing here.
    NotFound,
}

/// Matches a request against the routes. `raw_path` is the path as it came on the wire: it is
/// split on `/` first and each segment percent-decoded afterwards, so an identity ID with an
/// encoded `/` (or `:`) stays one segment.
pub(crate) fn match_route(method: &http::Method, raw_path: &str) -> Target {
    let Some(segments) = decode_segments(raw_path) else {
        return Target::NotFound;
    };
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let is_post = *method == http::Method::POST;
    let service = |route: Route, wanted_post: bool, identity: Option<&str>| {
        if wanted_post == is_post && (wanted_post || *method == http::Method::DELETE) {
            Target::Service {
                route,
                identity: identity.map(str::to_owned),
            }
        } else {
            Target::WrongMethod
        }
    };
    match segments.as_slice() {
        ["identities"] => service(Route::CreateIdentity, true, None),
        ["identities", id] if !id.is_empty() => service(Route::DeleteIdentity, false, Some(id)),
        ["identities", id, ":issueAccessToken"] if !id.is_empty() => {
            service(Route::IssueAccessToken, true, Some(id))
        }
        ["identities", id, ":revokeAccessTokens"] if !id.is_empty() => {
            service(Route::RevokeAccessTokens, true, Some(id))
        }
        ["teamsUser", ":exchangeAccessToken"] => service(Route::ExchangeTeamsUserToken, true, None),
        ["access", "entra", ":exchangeAccessToken"] => {
            service(Route::ExchangeEntraToken, true, None)
        }
        ["access", "teamsExtension", ":exchangeAccessToken"] => {
            service(Route::ExchangeTeamsExtensionToken, true, None)
        }
        ["_emulator", "health"] => {
            if *method == http::Method::GET {
                Target::AdminHealth
            } else {
                Target::WrongMethod
            }
        }
        ["chat", rest @ ..] => crate::chat::match_route(method, rest),
        ["_emulator", "faults"] => {
            if is_post || *method == http::Method::DELETE {
                Target::AdminFaults
            } else {
                Target::WrongMethod
            }
        }
        [first, ..] => {
            not_emulated(first).map_or(Target::NotFound, |service| Target::NotEmulated { service })
        }
        [] => Target::NotFound,
    }
}

/// The ACS service a path's first segment belongs to, for the services the emulator does not
/// emulate.
fn not_emulated(first_segment: &str) -> Option<&'static str> {
    let name = first_segment.split(':').next().unwrap_or_default();
    Some(match name {
        "sms" => "SMS",
        "calling" => "Call Automation",
        "rooms" => "Rooms",
        "phoneNumbers" | "availablePhoneNumbers" => "Phone Numbers",
        "emails" => "Email",
        "messages" => "Advanced Messaging",
        "routing" => "Job Router",
        "recipientVerification" | "alphaIds" => "Phone Numbers",
        _ => return None,
    })
}

/// The path's segments after the leading `/`, each percent-decoded; `None` when a segment does
/// not decode to UTF-8.
fn decode_segments(raw_path: &str) -> Option<Vec<String>> {
    let trimmed = raw_path.strip_prefix('/').unwrap_or(raw_path);
    trimmed
        .split('/')
        .map(|segment| {
            percent_decode_str(segment)
                .decode_utf8()
                .ok()
                .map(|text| text.into_owned())
        })
        .collect()
}

/// The value of `api-version` in a raw query string, percent-decoded; `None` when absent.
pub(crate) fn api_version(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(name, _)| *name == "api-version")
        .map(|(_, value)| {
            percent_decode_str(&value.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    #[test]
    fn encoded_identity_ids_are_decoded_after_splitting() {
        let target = match_route(
            &Method::POST,
            "/identities/8%3Aacs%3Ar_u%2Fx/:issueAccessToken",
        );
        assert_eq!(
            target,
            Target::Service {
                route: Route::IssueAccessToken,
                identity: Some("8:acs:r_u/x".to_owned())
            }
        );
    }

    #[test]
    fn an_encoded_colon_in_the_action_still_matches() {
        let target = match_route(&Method::POST, "/access/entra/%3AexchangeAccessToken");
        assert!(matches!(
            target,
            Target::Service {
                route: Route::ExchangeEntraToken,
                ..
            }
        ));
    }

    #[test]
    fn wrong_methods_and_unknown_paths_are_told_apart() {
        assert_eq!(
            match_route(&Method::GET, "/identities"),
            Target::WrongMethod
        );
        assert_eq!(
            match_route(&Method::PUT, "/identities/x"),
            Target::WrongMethod
        );
        assert_eq!(match_route(&Method::POST, "/nothing"), Target::NotFound);
        assert_eq!(
            match_route(&Method::POST, "/identities//:issueAccessToken"),
            Target::NotFound
        );
        assert_eq!(
            match_route(&Method::POST, "/identities/%FF"),
            Target::NotFound
        );
    }

    #[test]
    fn api_version_is_read_from_the_query() {
        assert_eq!(
            api_version(Some("a=b&api-version=2023-10-01")).as_deref(),
            Some("2023-10-01")
        );
        assert_eq!(api_version(Some("api-version")).as_deref(), Some(""));
        assert_eq!(api_version(Some("x=1")), None);
        assert_eq!(api_version(None), None);
    }

    #[test]
    fn route_names_round_trip() {
        for route in Route::ALL {
            assert_eq!(route.name().parse::<Route>(), Ok(route));
        }
        assert_eq!("nope".parse::<Route>(), Err(UnknownRoute));
    }
}
