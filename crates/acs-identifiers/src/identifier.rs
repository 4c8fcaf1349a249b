use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use crate::{
    CommunicationIdentifierKind, CommunicationUserIdentifier, MicrosoftTeamsAppIdentifier,
    MicrosoftTeamsUserIdentifier, PhoneNumberIdentifier, TeamsExtensionUserIdentifier,
    UnknownIdentifier,
};

/// A participant of any ACS API: one of the identifier kinds.
///
/// Two identifiers are equal (and hash alike) when they have the same kind and raw ID, however
/// they were built, so they work as map keys. The text form ([`FromStr`], [`Display`]) is the raw
/// ID, and parsing never fails: `from_raw_id(s).raw_id() == s` for every string `s`.
///
/// [`Display`]: fmt::Display
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CommunicationIdentifier {
    /// An ACS user.
    CommunicationUser(CommunicationUserIdentifier),
    /// A phone number.
    PhoneNumber(PhoneNumberIdentifier),
    /// A Microsoft Teams user.
    MicrosoftTeamsUser(MicrosoftTeamsUserIdentifier),
    /// A Microsoft Teams app.
    MicrosoftTeamsApp(MicrosoftTeamsAppIdentifier),
    /// A Teams extension user.
    TeamsExtensionUser(TeamsExtensionUserIdentifier),
    /// Anything else.
    Unknown(UnknownIdentifier),
}

impl CommunicationIdentifier {
    /// Parses a raw ID (`8:acs:...`, `4:+1...`, `8:orgid:...`, ...). Never fails: a string of no
    /// known form gives [`Unknown`](Self::Unknown). Copies `raw_id` once; use
    /// [`From<String>`](#impl-From<String>-for-CommunicationIdentifier) to hand over a buffer, or
    /// [`CommunicationIdentifierRef::parse`](crate::CommunicationIdentifierRef::parse) to only
    /// inspect it.
    pub fn from_raw_id(raw_id: &str) -> Self {
        crate::CommunicationIdentifierRef::parse(raw_id).into_owned()
    }

    /// The raw ID. A borrow: no formatting happens.
    pub fn raw_id(&self) -> &str {
        match self {
            Self::CommunicationUser(id) => id.raw_id(),
            Self::PhoneNumber(id) => id.raw_id(),
            Self::MicrosoftTeamsUser(id) => id.raw_id(),
            Self::MicrosoftTeamsApp(id) => id.raw_id(),
            Self::TeamsExtensionUser(id) => id.raw_id(),
            Self::Unknown(id) => id.raw_id(),
        }
    }

    /// The raw ID as an owned string, reusing the identifier's buffer.
    pub fn into_raw_id(self) -> String {
        match self {
            Self::CommunicationUser(id) => id.into_raw_id(),
            Self::PhoneNumber(id) => id.into_raw_id(),
            Self::MicrosoftTeamsUser(id) => id.into_raw_id(),
            Self::MicrosoftTeamsApp(id) => id.into_raw_id(),
            Self::TeamsExtensionUser(id) => id.into_raw_id(),
            Self::Unknown(id) => id.into_raw_id(),
        }
    }

    /// The kind of identifier.
    pub fn kind(&self) -> CommunicationIdentifierKind {
        match self {
            Self::CommunicationUser(_) => CommunicationIdentifierKind::CommunicationUser,
            Self::PhoneNumber(_) => CommunicationIdentifierKind::PhoneNumber,
            Self::MicrosoftTeamsUser(_) => CommunicationIdentifierKind::MicrosoftTeamsUser,
            Self::MicrosoftTeamsApp(_) => CommunicationIdentifierKind::MicrosoftTeamsApp,
            Self::TeamsExtensionUser(_) => CommunicationIdentifierKind::TeamsExtensionUser,
            Self::Unknown(_) => CommunicationIdentifierKind::Unknown,
        }
    }
}

impl FromStr for CommunicationIdentifier {
    type Err = Infallible;

    fn from_str(raw_id: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_raw_id(raw_id))
    }
}

impl From<&str> for CommunicationIdentifier {
    fn from(raw_id: &str) -> Self {
        Self::from_raw_id(raw_id)
    }
}

/// Parses the raw ID without copying it: the identifier keeps the string's buffer.
impl From<String> for CommunicationIdentifier {
    fn from(raw_id: String) -> Self {
        crate::parse::parse(raw_id)
    }
}

impl fmt::Display for CommunicationIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw_id())
    }
}

macro_rules! from_kind {
    ($($type:ident => $variant:ident),* $(,)?) => {$(
        impl From<$type> for CommunicationIdentifier {
            #[inline]
            fn from(identifier: $type) -> Self {
                Self::$variant(identifier)
            }
        }
    )*};
}

from_kind! {
    CommunicationUserIdentifier => CommunicationUser,
    PhoneNumberIdentifier => PhoneNumber,
    MicrosoftTeamsUserIdentifier => MicrosoftTeamsUser,
    MicrosoftTeamsAppIdentifier => MicrosoftTeamsApp,
    TeamsExtensionUserIdentifier => TeamsExtensionUser,
    UnknownIdentifier => Unknown,
}
