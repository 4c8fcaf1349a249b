//! The REST wire model (`CommunicationIdentifierModel`, camelCase JSON) and its conversions.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::layout::Layout;
use crate::{
    CommunicationCloudEnvironment, CommunicationIdentifier, CommunicationIdentifierKind,
    CommunicationUserIdentifier, IdentifierError, MicrosoftTeamsAppIdentifier,
    MicrosoftTeamsUserIdentifier, PhoneNumberIdentifier, TeamsExtensionUserIdentifier,
    UnknownIdentifier,
};

/// The `kind` of a wire model: an open string enum, so a kind added by a newer service is kept
/// in [`Other`](Self::Other) instead of failing. Known values are matched without regard to ASCII
/// case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommunicationIdentifierModelKind {
    /// `unknown`.
    Unknown,
    /// `communicationUser`.
    CommunicationUser,
    /// `phoneNumber`.
    PhoneNumber,
    /// `microsoftTeamsUser`.
    MicrosoftTeamsUser,
    /// `microsoftTeamsApp`.
    MicrosoftTeamsApp,
    /// `teamsExtensionUser`.
    TeamsExtensionUser,
    /// A kind this version does not know, kept as received.
    Other(String),
}

impl CommunicationIdentifierModelKind {
    const KNOWN: [CommunicationIdentifierKind; 6] = [
        CommunicationIdentifierKind::Unknown,
        CommunicationIdentifierKind::CommunicationUser,
        CommunicationIdentifierKind::PhoneNumber,
        CommunicationIdentifierKind::MicrosoftTeamsUser,
        CommunicationIdentifierKind::MicrosoftTeamsApp,
        CommunicationIdentifierKind::TeamsExtensionUser,
    ];

    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(value) => value,
            known => known
                .known()
                .map_or("", CommunicationIdentifierKind::as_str),
        }
    }

    /// The identifier kind this wire value names, if this version knows it.
    pub fn known(&self) -> Option<CommunicationIdentifierKind> {
        Some(match self {
            Self::Unknown => CommunicationIdentifierKind::Unknown,
            Self::CommunicationUser => CommunicationIdentifierKind::CommunicationUser,
            Self::PhoneNumber => CommunicationIdentifierKind::PhoneNumber,
            Self::MicrosoftTeamsUser => CommunicationIdentifierKind::MicrosoftTeamsUser,
            Self::MicrosoftTeamsApp => CommunicationIdentifierKind::MicrosoftTeamsApp,
            Self::TeamsExtensionUser => CommunicationIdentifierKind::TeamsExtensionUser,
            Self::Other(_) => return None,
        })
    }
}

impl From<CommunicationIdentifierKind> for CommunicationIdentifierModelKind {
    fn from(kind: CommunicationIdentifierKind) -> Self {
        match kind {
            CommunicationIdentifierKind::CommunicationUser => Self::CommunicationUser,
            CommunicationIdentifierKind::PhoneNumber => Self::PhoneNumber,
            CommunicationIdentifierKind::MicrosoftTeamsUser => Self::MicrosoftTeamsUser,
            CommunicationIdentifierKind::MicrosoftTeamsApp => Self::MicrosoftTeamsApp,
            CommunicationIdentifierKind::TeamsExtensionUser => Self::TeamsExtensionUser,
            CommunicationIdentifierKind::Unknown => Self::Unknown,
        }
    }
}

impl From<&str> for CommunicationIdentifierModelKind {
    fn from(value: &str) -> Self {
        Self::KNOWN
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(value))
            .map_or_else(|| Self::Other(value.to_owned()), Self::from)
    }
}

impl FromStr for CommunicationIdentifierModelKind {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(value))
    }
}

impl fmt::Display for CommunicationIdentifierModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CommunicationIdentifierModelKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CommunicationIdentifierModelKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(OpenEnumVisitor::<Self>::new("an identifier kind"))
    }
}

/// Reads a string into an open enum without an intermediate `String` for known values.
pub(crate) struct OpenEnumVisitor<T> {
    expecting: &'static str,
    target: PhantomData<T>,
}

impl<T> OpenEnumVisitor<T> {
    pub(crate) fn new(expecting: &'static str) -> Self {
        Self {
            expecting,
            target: PhantomData,
        }
    }
}

impl<T: for<'a> From<&'a str>> serde::de::Visitor<'_> for OpenEnumVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<T, E> {
        Ok(T::from(value))
    }
}

/// The REST wire form of an identifier (`CommunicationIdentifierModel` in the ACS REST specs).
///
/// Convert from an identifier with `From<&CommunicationIdentifier>` and back with `TryFrom`,
/// which applies the SDKs' validation rules. Unknown JSON properties are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CommunicationIdentifierModel {
    /// The kind; older services omit it, and it is then inferred from the nested model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<CommunicationIdentifierModelKind>,
    /// The raw ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_id: Option<String>,
    /// Set for an ACS user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub communication_user: Option<CommunicationUserIdentifierModel>,
    /// Set for a phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<PhoneNumberIdentifierModel>,
    /// Set for a Teams user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub microsoft_teams_user: Option<MicrosoftTeamsUserIdentifierModel>,
    /// Set for a Teams app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub microsoft_teams_app: Option<MicrosoftTeamsAppIdentifierModel>,
    /// Set for a Teams extension user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams_extension_user: Option<TeamsExtensionUserIdentifierModel>,
}

/// The nested model of an ACS user. `id` is required when converting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CommunicationUserIdentifierModel {
    /// The user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// The nested model of a phone number. `value` is required when converting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PhoneNumberIdentifierModel {
    /// The phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Whether the caller is anonymous. Informational: the identifier derives it from the raw ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_anonymous: Option<bool>,
    /// The asserted id. Informational: the identifier derives it from the raw ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asserted_id: Option<String>,
}

/// The nested model of a Teams user. `userId` is required when converting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MicrosoftTeamsUserIdentifierModel {
    /// The Teams user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Whether the user is an anonymous visitor; absent means `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_anonymous: Option<bool>,
    /// The cloud; absent means public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<CommunicationCloudEnvironment>,
}

/// The nested model of a Teams app. `appId` is required when converting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MicrosoftTeamsAppIdentifierModel {
    /// The Teams app id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The cloud; absent means public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<CommunicationCloudEnvironment>,
}

/// The nested model of a Teams extension user. `userId`, `tenantId` and `resourceId` are
/// required when converting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TeamsExtensionUserIdentifierModel {
    /// The Teams user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The user's tenant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// The ACS resource id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// The cloud; absent means public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<CommunicationCloudEnvironment>,
}

impl From<&CommunicationIdentifier> for CommunicationIdentifierModel {
    /// Always writes `kind` and `rawId`; fills `isAnonymous` and `cloud` like the official
    /// serializers.
    fn from(identifier: &CommunicationIdentifier) -> Self {
        let mut model = Self {
            kind: Some(identifier.kind().into()),
            raw_id: Some(identifier.raw_id().to_owned()),
            ..Self::default()
        };
        match identifier {
            CommunicationIdentifier::CommunicationUser(user) => {
                model.communication_user = Some(CommunicationUserIdentifierModel {
                    id: Some(user.id().to_owned()),
                });
            }
            CommunicationIdentifier::PhoneNumber(phone) => {
                model.phone_number = Some(PhoneNumberIdentifierModel {
                    value: Some(phone.phone_number().to_owned()),
                    is_anonymous: Some(phone.is_anonymous()),
                    asserted_id: phone.asserted_id().map(str::to_owned),
                });
            }
            CommunicationIdentifier::MicrosoftTeamsUser(user) => {
                model.microsoft_teams_user = Some(MicrosoftTeamsUserIdentifierModel {
                    user_id: Some(user.user_id().to_owned()),
                    is_anonymous: Some(user.is_anonymous()),
                    cloud: Some(user.cloud().clone()),
                });
            }
            CommunicationIdentifier::MicrosoftTeamsApp(app) => {
                model.microsoft_teams_app = Some(MicrosoftTeamsAppIdentifierModel {
                    app_id: Some(app.app_id().to_owned()),
                    cloud: Some(app.cloud().clone()),
                });
            }
            CommunicationIdentifier::TeamsExtensionUser(user) => {
                model.teams_extension_user = Some(TeamsExtensionUserIdentifierModel {
                    user_id: Some(user.user_id().to_owned()),
                    tenant_id: Some(user.tenant_id().to_owned()),
                    resource_id: Some(user.resource_id().to_owned()),
                    cloud: Some(user.cloud().clone()),
                });
            }
            CommunicationIdentifier::Unknown(_) => {}
        }
        model
    }
}

impl From<CommunicationIdentifier> for CommunicationIdentifierModel {
    fn from(identifier: CommunicationIdentifier) -> Self {
        Self::from(&identifier)
    }
}

fn required<T>(
    value: Option<T>,
    property: &'static str,
    kind: CommunicationIdentifierKind,
) -> Result<T, IdentifierError> {
    value.ok_or(IdentifierError::MissingProperty { property, kind })
}

impl TryFrom<CommunicationIdentifierModel> for CommunicationIdentifier {
    type Error = IdentifierError;

    /// Validates like the official deserializers: at most one nested model; the nested model's
    /// required properties present; a kind without its nested model (or an unknown kind) gives
    /// an unknown identifier, which needs `rawId`. Without `kind`, the nested model decides.
    /// Emptiness is not checked here: parsed raw IDs may have empty parts too.
    fn try_from(model: CommunicationIdentifierModel) -> Result<Self, Self::Error> {
        use CommunicationIdentifierKind as Kind;

        let present: Vec<&'static str> = [
            ("communicationUser", model.communication_user.is_some()),
            ("phoneNumber", model.phone_number.is_some()),
            ("microsoftTeamsUser", model.microsoft_teams_user.is_some()),
            ("microsoftTeamsApp", model.microsoft_teams_app.is_some()),
            ("teamsExtensionUser", model.teams_extension_user.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, is_present)| is_present.then_some(name))
        .collect();
        if present.len() > 1 {
            return Err(IdentifierError::MultipleNestedModels { present });
        }

        let kind = match &model.kind {
            Some(kind) => kind.known(),
            None => Some(if model.communication_user.is_some() {
                Kind::CommunicationUser
            } else if model.phone_number.is_some() {
                Kind::PhoneNumber
            } else if model.microsoft_teams_user.is_some() {
                Kind::MicrosoftTeamsUser
            } else if model.microsoft_teams_app.is_some() {
                Kind::MicrosoftTeamsApp
            } else if model.teams_extension_user.is_some() {
                Kind::TeamsExtensionUser
            } else {
                Kind::Unknown
            }),
        };
        let CommunicationIdentifierModel {
            raw_id,
            communication_user,
            phone_number,
            microsoft_teams_user,
            microsoft_teams_app,
            teams_extension_user,
            ..
        } = model;
        let explicit_raw_id = raw_id.as_deref();

        match kind {
            Some(Kind::CommunicationUser) if communication_user.is_some() => {
                let user = communication_user.unwrap_or_default();
                let id = required(user.id, "id", Kind::CommunicationUser)?;
                return Ok(CommunicationUserIdentifier::from_parsed(Layout::whole(id)).into());
            }
            Some(Kind::PhoneNumber) if phone_number.is_some() => {
                let phone = phone_number.unwrap_or_default();
                let value = required(phone.value, "value", Kind::PhoneNumber)?;
                return Ok(PhoneNumberIdentifier::assemble(&value, explicit_raw_id).into());
            }
            Some(Kind::MicrosoftTeamsUser) if microsoft_teams_user.is_some() => {
                let user = microsoft_teams_user.unwrap_or_default();
                let user_id = required(user.user_id, "userId", Kind::MicrosoftTeamsUser)?;
                return Ok(MicrosoftTeamsUserIdentifier::assemble(
                    &user_id,
                    user.is_anonymous.unwrap_or(false),
                    user.cloud.unwrap_or_default(),
                    explicit_raw_id,
                )
                .into());
            }
            Some(Kind::MicrosoftTeamsApp) if microsoft_teams_app.is_some() => {
                let app = microsoft_teams_app.unwrap_or_default();
                let app_id = required(app.app_id, "appId", Kind::MicrosoftTeamsApp)?;
                return Ok(MicrosoftTeamsAppIdentifier::assemble(
                    &app_id,
                    app.cloud.unwrap_or_default(),
                    explicit_raw_id,
                )
                .into());
            }
            Some(Kind::TeamsExtensionUser) if teams_extension_user.is_some() => {
                let user = teams_extension_user.unwrap_or_default();
                let kind = Kind::TeamsExtensionUser;
                let user_id = required(user.user_id, "userId", kind)?;
                let tenant_id = required(user.tenant_id, "tenantId", kind)?;
                let resource_id = required(user.resource_id, "resourceId", kind)?;
                return Ok(TeamsExtensionUserIdentifier::assemble(
                    &user_id,
                    &tenant_id,
                    &resource_id,
                    user.cloud.unwrap_or_default(),
                    explicit_raw_id,
                )
                .into());
            }
            _ => {}
        }
        let raw_id = required(raw_id, "rawId", Kind::Unknown)?;
        Ok(UnknownIdentifier::from_parsed(Layout::whole(raw_id)).into())
    }
}

impl Serialize for CommunicationIdentifier {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        CommunicationIdentifierModel::from(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CommunicationIdentifier {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let model = CommunicationIdentifierModel::deserialize(deserializer)?;
        Self::try_from(model).map_err(serde::de::Error::custom)
    }
}
