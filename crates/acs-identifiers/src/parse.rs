//! Raw ID classification. One function, [`classify`], decides the kind and the part offsets from
//! the borrowed text; the owned and the borrowed parse both build on its answer.
//!
//! A raw ID is `4:` + a phone number, or `seg0:seg1:` + `seg2` where the prefix `seg0:seg1:` is
//! one of a fixed list and `seg2` has no colon; anything else is of unknown kind. After an ACS
//! prefix (`8:acs:`, `8:dod-acs:`, `8:gcch-acs:`), a `seg2` of exactly three `_`-separated parts
//! is a Teams extension user and any other `seg2` a communication user.

use crate::layout::{Layout, prefix};
use crate::{
    CommunicationCloudEnvironment, CommunicationIdentifier, CommunicationIdentifierKind,
    CommunicationUserIdentifier, MicrosoftTeamsAppIdentifier, MicrosoftTeamsUserIdentifier,
    PhoneNumberIdentifier, TeamsExtensionUserIdentifier, UnknownIdentifier,
};

/// The clouds a prefix can name. `Copy`, unlike [`CommunicationCloudEnvironment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum PrefixCloud {
    Public,
    Dod,
    Gcch,
}

impl From<PrefixCloud> for CommunicationCloudEnvironment {
    fn from(cloud: PrefixCloud) -> Self {
        match cloud {
            PrefixCloud::Public => Self::Public,
            PrefixCloud::Dod => Self::Dod,
            PrefixCloud::Gcch => Self::Gcch,
        }
    }
}

/// What a raw ID is, with the byte offsets needed to slice its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Shape {
    pub(crate) kind: CommunicationIdentifierKind,
    /// Meaningful for Teams users, Teams apps and Teams extension users.
    pub(crate) cloud: PrefixCloud,
    /// A Teams visitor (`8:teamsvisitor:`).
    pub(crate) anonymous: bool,
    /// Where the parts start (the length of the prefix; 0 when the raw ID is the id).
    pub(crate) prefix_len: usize,
    /// The offsets of the two `_` of a Teams extension user.
    pub(crate) underscores: [usize; 2],
}

impl Shape {
    const fn whole(kind: CommunicationIdentifierKind) -> Self {
        Self {
            kind,
            cloud: PrefixCloud::Public,
            anonymous: false,
            prefix_len: 0,
            underscores: [0; 2],
        }
    }
}

/// A known `seg0:seg1:` prefix and what it makes of a raw ID with nothing but `seg2` after it.
struct KnownPrefix {
    text: &'static str,
    /// The kind; for the ACS prefixes [`TeamsExtensionUser`], which becomes a communication user
    /// unless the suffix is `{r}_{t}_{u}`.
    ///
    /// [`TeamsExtensionUser`]: CommunicationIdentifierKind::TeamsExtensionUser
    kind: CommunicationIdentifierKind,
    cloud: PrefixCloud,
    anonymous: bool,
}

const KNOWN: [KnownPrefix; 11] = {
    use CommunicationIdentifierKind::{
        CommunicationUser, MicrosoftTeamsApp, MicrosoftTeamsUser, TeamsExtensionUser,
    };
    use PrefixCloud::{Dod, Gcch, Public};
    const fn known(
        text: &'static str,
        kind: CommunicationIdentifierKind,
        cloud: PrefixCloud,
        anonymous: bool,
    ) -> KnownPrefix {
        KnownPrefix {
            text,
            kind,
            cloud,
            anonymous,
        }
    }
    [
        known(prefix::TEAMS_USER_PUBLIC, MicrosoftTeamsUser, Public, false),
        known(prefix::TEAMS_USER_DOD, MicrosoftTeamsUser, Dod, false),
        known(prefix::TEAMS_USER_GCCH, MicrosoftTeamsUser, Gcch, false),
        known(prefix::TEAMS_VISITOR, MicrosoftTeamsUser, Public, true),
        known(prefix::TEAMS_APP_PUBLIC, MicrosoftTeamsApp, Public, false),
        known(prefix::TEAMS_APP_DOD, MicrosoftTeamsApp, Dod, false),
        known(prefix::TEAMS_APP_GCCH, MicrosoftTeamsApp, Gcch, false),
        known(prefix::SPOOL, CommunicationUser, Public, false),
        known(prefix::ACS, TeamsExtensionUser, Public, false),
        known(prefix::DOD_ACS, TeamsExtensionUser, Dod, false),
        known(prefix::GCCH_ACS, TeamsExtensionUser, Gcch, false),
    ]
};

/// The longest known prefix, `8:teamsvisitor:`: a second colon further in names no known prefix,
/// so long text without one is not scanned.
const LONGEST_PREFIX: usize = 15;

/// The length of `seg0:seg1:`, the text up to and including the second colon, if that is within
/// the first [`LONGEST_PREFIX`] bytes.
fn prefix_len(raw: &str) -> Option<usize> {
    let head = &raw.as_bytes()[..raw.len().min(LONGEST_PREFIX)];
    let first = head.iter().position(|&byte| byte == b':')?;
    let second = head[first + 1..].iter().position(|&byte| byte == b':')?;
    Some(first + 1 + second + 1)
}

/// Decides what `raw` is. Total: every string has a shape.
pub(crate) fn classify(raw: &str) -> Shape {
    if raw.starts_with(prefix::PHONE) {
        return Shape {
            prefix_len: prefix::PHONE.len(),
            ..Shape::whole(CommunicationIdentifierKind::PhoneNumber)
        };
    }
    let unknown = Shape::whole(CommunicationIdentifierKind::Unknown);
    let Some(prefix_len) = prefix_len(raw) else {
        return unknown;
    };
    // The prefix ends with an ASCII colon, so both slices are on character boundaries.
    let (prefix, suffix) = raw.split_at(prefix_len);
    let Some(known) = KNOWN.iter().find(|known| known.text == prefix) else {
        return unknown;
    };
    // A third colon makes four segments.
    if suffix.contains(':') {
        return unknown;
    }
    let mut shape = Shape {
        kind: known.kind,
        cloud: known.cloud,
        anonymous: known.anonymous,
        prefix_len,
        underscores: [0; 2],
    };
    if shape.kind == CommunicationIdentifierKind::TeamsExtensionUser {
        // A Teams extension user iff the suffix splits on `_` into exactly three parts, else a
        // communication user.
        let mut underscores = suffix.match_indices('_').map(|(at, _)| prefix_len + at);
        match (underscores.next(), underscores.next(), underscores.next()) {
            (Some(first), Some(second), None) => shape.underscores = [first, second],
            _ => shape.kind = CommunicationIdentifierKind::CommunicationUser,
        }
    }
    shape
}

/// Builds the owned identifier of `shape`, which must be `classify(&raw)`. Every kind stores the
/// same [`Layout`], so this is one layout and a variant tag, with no branch on the kind.
#[inline]
pub(crate) fn build(raw: String, shape: Shape) -> CommunicationIdentifier {
    use CommunicationIdentifierKind as Kind;
    let layout = Layout::parsed(raw, &shape);
    match shape.kind {
        Kind::PhoneNumber => PhoneNumberIdentifier::from_parsed(layout).into(),
        Kind::CommunicationUser => CommunicationUserIdentifier::from_parsed(layout).into(),
        Kind::MicrosoftTeamsUser => MicrosoftTeamsUserIdentifier::from_parsed(layout).into(),
        Kind::MicrosoftTeamsApp => MicrosoftTeamsAppIdentifier::from_parsed(layout).into(),
        Kind::TeamsExtensionUser => TeamsExtensionUserIdentifier::from_parsed(layout).into(),
        Kind::Unknown => UnknownIdentifier::from_parsed(layout).into(),
    }
}

/// Parses `raw`, taking ownership of its buffer. Total: every string gives an identifier.
pub(crate) fn parse(raw: String) -> CommunicationIdentifier {
    let shape = classify(&raw);
    build(raw, shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colons_beyond_the_prefix_window_are_unknown() {
        // `x` * 20 then `:a:b` has three segments but no known prefix.
        let raw = format!("{}:a:b", "x".repeat(20));
        assert_eq!(classify(&raw).kind, CommunicationIdentifierKind::Unknown);
    }

    #[test]
    fn extension_offsets_point_at_the_underscores() {
        let raw = "8:acs:r_t_u";
        let shape = classify(raw);
        assert_eq!(shape.kind, CommunicationIdentifierKind::TeamsExtensionUser);
        assert_eq!((shape.prefix_len, shape.underscores), (6, [7, 9]));
        assert_eq!(&raw[7..=7], "_");
        assert_eq!(&raw[9..=9], "_");
    }

    #[test]
    fn every_known_prefix_is_found() {
        for known in &KNOWN {
            let shape = classify(&format!("{}x", known.text));
            let kind = match known.kind {
                CommunicationIdentifierKind::TeamsExtensionUser => {
                    CommunicationIdentifierKind::CommunicationUser
                }
                kind => kind,
            };
            assert_eq!(shape.kind, kind, "{}", known.text);
            assert_eq!(shape.prefix_len, known.text.len());
            assert_eq!(
                (shape.cloud, shape.anonymous),
                (known.cloud, known.anonymous)
            );
            // One byte changed anywhere in the prefix makes it unknown (or another prefix).
            for at in 0..known.text.len() {
                let mut raw = known.text.as_bytes().to_vec();
                raw[at] ^= 0x20;
                raw.push(b'x');
                let raw = String::from_utf8(raw).unwrap();
                let shape = classify(&raw);
                assert!(
                    shape.kind == CommunicationIdentifierKind::Unknown
                        || KNOWN.iter().any(|other| raw.starts_with(other.text)),
                    "{raw}"
                );
            }
        }
    }

    #[test]
    fn acs_suffixes_agree_with_a_plain_split() {
        for len in [0, 1, 5, 15, 16, 17, 33, 70] {
            let mut text = vec![b'x'; len];
            for first in 0..len {
                for second in first..len {
                    text[first] = b'_';
                    text[second] = b'_';
                    let suffix = std::str::from_utf8(&text).unwrap();
                    let raw = format!("8:acs:{suffix}");
                    let shape = classify(&raw);
                    let positions: Vec<usize> = (0..len).filter(|&at| text[at] == b'_').collect();
                    if positions.len() == 2 {
                        assert_eq!(shape.kind, CommunicationIdentifierKind::TeamsExtensionUser);
                        assert_eq!(shape.underscores, [6 + positions[0], 6 + positions[1]]);
                    } else {
                        assert_eq!(shape.kind, CommunicationIdentifierKind::CommunicationUser);
                    }
                    text[second] = b':';
                    let raw = format!("8:acs:{}", std::str::from_utf8(&text).unwrap());
                    assert_eq!(classify(&raw).kind, CommunicationIdentifierKind::Unknown);
                    text[first] = b'x';
                    text[second] = b'x';
                }
            }
        }
    }

    #[test]
    fn longest_prefix_fits_the_window() {
        let shape = classify("8:teamsvisitor:x");
        assert_eq!(shape.kind, CommunicationIdentifierKind::MicrosoftTeamsUser);
        assert!(shape.anonymous);
    }
}
