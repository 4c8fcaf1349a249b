//! The identity API's JSON bodies.

use acs_http::TokenResponse;
use acs_identifiers::CommunicationUserIdentifier;
use serde::{Deserialize, Serialize};

use crate::error::{IdentityError, IdentityOperation};

/// `POST /identities`: `{}` or `{"createTokenWithScopes":[..],"expiresInMinutes":N}`.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateIdentityRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) create_token_with_scopes: Option<Vec<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expires_in_minutes: Option<u32>,
}

/// `POST /identities/{id}/:issueAccessToken`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IssueTokenRequest<'a> {
    pub(crate) scopes: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expires_in_minutes: Option<u32>,
}

/// `POST /teamsUser/:exchangeAccessToken`. Not `Debug`: it holds a token.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TeamsUserExchangeRequest<'a> {
    pub(crate) token: &'a str,
    pub(crate) app_id: &'a str,
    pub(crate) user_id: &'a str,
}

/// `{"identity":{"id"},"accessToken"?:{"token","expiresOn"}}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateIdentityResponse {
    pub(crate) identity: IdentityModel,
    #[serde(default)]
    pub(crate) access_token: Option<TokenResponse>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct IdentityModel {
    pub(crate) id: String,
}

impl CreateIdentityResponse {
    pub(crate) fn user(
        &self,
        operation: IdentityOperation,
    ) -> Result<CommunicationUserIdentifier, IdentityError> {
        CommunicationUserIdentifier::new(self.identity.id.clone()).map_err(|_| {
            IdentityError::UnexpectedResponse {
                operation,
                reason: "the identity id is empty",
            }
        })
    }
}
