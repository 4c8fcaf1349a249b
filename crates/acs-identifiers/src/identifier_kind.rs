use std::fmt;

/// Which kind of identifier a [`CommunicationIdentifier`](crate::CommunicationIdentifier) is.
///
/// [`as_str`](Self::as_str) and [`Display`](fmt::Display) give the `kind` value of the REST wire
/// model (`communicationUser`, `phoneNumber`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CommunicationIdentifierKind {
    /// An Azure Communication Services user (`8:acs:...`, `8:spool:...`).
    CommunicationUser,
    /// A phone number (`4:...`).
    PhoneNumber,
    /// A Microsoft Teams user (`8:orgid:...`, `8:teamsvisitor:...`).
    MicrosoftTeamsUser,
    /// A Microsoft Teams application (`28:orgid:...`).
    MicrosoftTeamsApp,
    /// A Teams user acting through an ACS resource (`8:acs:{resource}_{tenant}_{user}`).
    TeamsExtensionUser,
    /// Any other raw ID.
    Unknown,
}

impl CommunicationIdentifierKind {
    /// The kind `raw_id` parses to, without allocating: the same answer as
    /// `CommunicationIdentifier::from_raw_id(raw_id).kind()`, for routing before (or instead of)
    /// taking ownership.
    pub fn of_raw_id(raw_id: &str) -> Self {
        crate::CommunicationIdentifierRef::parse(raw_id).kind()
    }

    /// The wire name of the kind, e.g. `microsoftTeamsUser`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CommunicationUser => "communicationUser",
            Self::PhoneNumber => "phoneNumber",
            Self::MicrosoftTeamsUser => "microsoftTeamsUser",
            Self::MicrosoftTeamsApp => "microsoftTeamsApp",
            Self::TeamsExtensionUser => "teamsExtensionUser",
            Self::Unknown => "unknown",
        }
    }
}

impl fmt::Display for CommunicationIdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
