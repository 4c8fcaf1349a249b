use std::fmt;
use std::str::FromStr;

use crate::error::IdentityError;

/// What an ACS user access token lets its holder do: the `scopes` of a token request.
///
/// The named variants are the scopes the identity API knows today; [`Other`](Self::Other)
/// carries any scope the service adds later, sent as written. Parsing maps the known names to
/// their variants (so `"chat".parse()` is [`Chat`](Self::Chat), never `Other("chat")`).
///
/// ```
/// use acs_identity::CommunicationTokenScope;
///
/// let scope: CommunicationTokenScope = "chat.join.limited".parse()?;
/// assert_eq!(scope, CommunicationTokenScope::ChatJoinLimited);
/// assert_eq!(CommunicationTokenScope::VoIp.to_string(), "voip");
/// assert_eq!(
///     "teams.future".parse::<CommunicationTokenScope>()?,
///     CommunicationTokenScope::Other("teams.future".to_owned())
/// );
/// assert!("".parse::<CommunicationTokenScope>().is_err());
/// # Ok::<(), acs_identity::IdentityError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CommunicationTokenScope {
    /// `chat`: full access to Chat.
    Chat,
    /// `voip`: full access to Calling.
    VoIp,
    /// `chat.join`: access to Chat threads the user is invited to, without creating threads.
    ChatJoin,
    /// `chat.join.limited`: as `chat.join`, without adding or removing participants.
    ChatJoinLimited,
    /// `voip.join`: access to calls the user is invited to, without starting calls.
    VoIpJoin,
    /// A scope this crate does not name, sent as written.
    Other(String),
}

impl CommunicationTokenScope {
    /// The scopes named by this crate, in their wire order.
    pub const KNOWN: [CommunicationTokenScope; 5] = [
        CommunicationTokenScope::Chat,
        CommunicationTokenScope::VoIp,
        CommunicationTokenScope::ChatJoin,
        CommunicationTokenScope::ChatJoinLimited,
        CommunicationTokenScope::VoIpJoin,
    ];

    /// The scope as the service writes it.
    pub fn as_str(&self) -> &str {
        match self {
            CommunicationTokenScope::Chat => "chat",
            CommunicationTokenScope::VoIp => "voip",
            CommunicationTokenScope::ChatJoin => "chat.join",
            CommunicationTokenScope::ChatJoinLimited => "chat.join.limited",
            CommunicationTokenScope::VoIpJoin => "voip.join",
            CommunicationTokenScope::Other(scope) => scope,
        }
    }
}

impl FromStr for CommunicationTokenScope {
    type Err = IdentityError;

    /// Reads a scope. Known names are case-sensitive, as on the wire; anything else that is a
    /// plausible scope (non-empty, visible ASCII, no white space or commas) becomes
    /// [`Other`](Self::Other).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(known) = Self::KNOWN.iter().find(|scope| scope.as_str() == text) {
            return Ok(known.clone());
        }
        if text.is_empty() {
            return Err(IdentityError::InvalidScope {
                reason: "a scope must not be empty",
            });
        }
        if !text.bytes().all(|b| b.is_ascii_graphic() && b != b',') {
            return Err(IdentityError::InvalidScope {
                reason: "a scope must be visible ASCII without white space or commas",
            });
        }
        Ok(CommunicationTokenScope::Other(text.to_owned()))
    }
}

impl fmt::Display for CommunicationTokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for CommunicationTokenScope {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&CommunicationTokenScope> for CommunicationTokenScope {
    fn from(scope: &CommunicationTokenScope) -> Self {
        scope.clone()
    }
}
