use std::fmt;

use crate::identifier_types::{asserted_id_of, is_anonymous_phone};
use crate::parse::{Shape, build, classify};
use crate::{CommunicationCloudEnvironment, CommunicationIdentifier, CommunicationIdentifierKind};

/// A raw ID parsed without copying: the kind and the parts, borrowed from the input.
///
/// For code that only inspects identifiers (routing events by kind, reading a user id out of a
/// log line), this costs no allocation. [`into_owned`](Self::into_owned) (or `From`) gives the
/// owned [`CommunicationIdentifier`], which is equal to it: both parse the same way.
///
/// The part accessors return `None` on identifiers of another kind.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommunicationIdentifierRef<'a> {
    raw_id: &'a str,
    shape: Shape,
}

impl<'a> CommunicationIdentifierRef<'a> {
    /// Parses a raw ID. Never fails, never allocates: a string of no known form is
    /// [`Unknown`](CommunicationIdentifierKind::Unknown).
    #[inline]
    pub fn parse(raw_id: &'a str) -> Self {
        Self {
            raw_id,
            shape: classify(raw_id),
        }
    }

    /// The kind of identifier.
    pub fn kind(&self) -> CommunicationIdentifierKind {
        self.shape.kind
    }

    /// The raw ID, which is the input.
    pub fn raw_id(&self) -> &'a str {
        self.raw_id
    }

    /// The owned identifier: one copy of the raw ID.
    #[inline]
    pub fn into_owned(self) -> CommunicationIdentifier {
        build(self.raw_id.to_owned(), self.shape)
    }

    fn when(&self, kind: CommunicationIdentifierKind) -> Option<&'a str> {
        Some(self.raw_id).filter(|_| self.shape.kind == kind)
    }

    /// The text after the prefix, for the kinds with a prefix.
    fn after_prefix(&self, kind: CommunicationIdentifierKind) -> Option<&'a str> {
        self.when(kind)?.get(self.shape.prefix_len..)
    }

    /// Part `index` (resource, tenant, user) of a Teams extension user.
    fn extension_part(&self, index: usize) -> Option<&'a str> {
        let raw = self.when(CommunicationIdentifierKind::TeamsExtensionUser)?;
        let [first, second] = self.shape.underscores;
        let ranges = [
            self.shape.prefix_len..first,
            first + 1..second,
            second + 1..raw.len(),
        ];
        raw.get(ranges.get(index)?.clone())
    }

    /// The id of a communication user or an unknown identifier (the raw ID itself).
    pub fn id(&self) -> Option<&'a str> {
        self.when(CommunicationIdentifierKind::CommunicationUser)
            .or_else(|| self.when(CommunicationIdentifierKind::Unknown))
    }

    /// The number of a phone number identifier: everything after `4:`.
    pub fn phone_number(&self) -> Option<&'a str> {
        self.after_prefix(CommunicationIdentifierKind::PhoneNumber)
    }

    /// The asserted id of a phone number: the text after the last `_`, if there is any.
    pub fn asserted_id(&self) -> Option<&'a str> {
        self.phone_number().and_then(asserted_id_of)
    }

    /// Whether this is the anonymous phone caller (`4:anonymous`) or an anonymous Teams visitor
    /// (`8:teamsvisitor:`).
    pub fn is_anonymous(&self) -> bool {
        self.shape.anonymous && self.shape.kind == CommunicationIdentifierKind::MicrosoftTeamsUser
            || self.phone_number().is_some_and(is_anonymous_phone)
    }

    /// The user id of a Teams user or a Teams extension user.
    pub fn user_id(&self) -> Option<&'a str> {
        self.after_prefix(CommunicationIdentifierKind::MicrosoftTeamsUser)
            .or_else(|| self.extension_part(2))
    }

    /// The app id of a Teams app.
    pub fn app_id(&self) -> Option<&'a str> {
        self.after_prefix(CommunicationIdentifierKind::MicrosoftTeamsApp)
    }

    /// The tenant id of a Teams extension user.
    pub fn tenant_id(&self) -> Option<&'a str> {
        self.extension_part(1)
    }

    /// The ACS resource id of a Teams extension user.
    pub fn resource_id(&self) -> Option<&'a str> {
        self.extension_part(0)
    }

    /// The cloud of a Teams user, Teams app or Teams extension user.
    pub fn cloud(&self) -> Option<CommunicationCloudEnvironment> {
        use CommunicationIdentifierKind as Kind;
        matches!(
            self.shape.kind,
            Kind::MicrosoftTeamsUser | Kind::MicrosoftTeamsApp | Kind::TeamsExtensionUser
        )
        .then(|| self.shape.cloud.into())
    }
}

impl fmt::Debug for CommunicationIdentifierRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommunicationIdentifierRef")
            .field("kind", &self.shape.kind)
            .field("raw_id", &self.raw_id)
            .finish()
    }
}

/// The raw ID.
impl fmt::Display for CommunicationIdentifierRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw_id)
    }
}

impl From<CommunicationIdentifierRef<'_>> for CommunicationIdentifier {
    #[inline]
    fn from(identifier: CommunicationIdentifierRef<'_>) -> Self {
        identifier.into_owned()
    }
}

/// Equal when kind and raw ID are, like two owned identifiers. (Only this direction: the reverse
/// impl would make `owned == x.into()` ambiguous in existing code.)
impl PartialEq<CommunicationIdentifier> for CommunicationIdentifierRef<'_> {
    fn eq(&self, other: &CommunicationIdentifier) -> bool {
        self.kind() == other.kind() && self.raw_id == other.raw_id()
    }
}
