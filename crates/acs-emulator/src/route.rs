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
}

impl Route {
    /// Every route, in a fixed order.
    pub const ALL: [Route; 7] = [
        Route::CreateIdentity,
        Route::DeleteIdentity,
        Route::IssueAccessToken,
        Route::RevokeAccessTokens,
        Route::ExchangeTeamsUserToken,
        Route::ExchangeEntraToken,
        Route::ExchangeTeamsExtensionToken,
    ];

    /// The route's short name, as [`Display`](fmt::Display) writes it and [`FromStr`] reads it
    /// (also used by the `/_emulator/faults` admin route): `createIdentity`, `deleteIdentity`,
    /// `issueAccessToken`, `revokeAccessTokens`, `exchangeTeamsUserToken`, `exchangeEntraToken`,
    /// `exchangeTeamsExtensionToken`.
    pub fn name(self) -> &'static str {
        match self {
            Route::CreateIdentity => "createIdentity",
            Route::DeleteIdentity => "deleteIdentity",
            Route::IssueAccessToken => "issueAccessToken",
            Route::RevokeAccessTokens => "revokeAccessTokens",
            Route::ExchangeTeamsUserToken => "exchangeTeamsUserToken",
            Route::ExchangeEntraToken => "exchangeEntraToken",
            Route::ExchangeTeamsExtensionToken => "exchangeTeamsExtensionToken",
        }
    }

    /// The api-versions this route accepts.
    pub fn api_versions(self) -> &'static [&'static str] {
        match self {
            Route::ExchangeEntraToken => &[ENTRA_EXCHANGE_API_VERSION],
            Route::ExchangeTeamsExtensionToken => &[TEAMS_EXTENSION_EXCHANGE_API_VERSION],
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

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of [`Route::name`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown route name; expected one of createIdentity, deleteIdentity, issueAccessToken, revokeAccessTokens, exchangeTeamsUserToken, exchangeEntraToken, exchangeTeamsExtensionToken"
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
        ["_emulator", "faults"] => {
            if is_post || *method == http::Method::DELETE {
                Target::AdminFaults
            } else {
                Target::WrongMethod
            }
        }
        _ => Target::NotFound,
    }
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
