//! Raw ID classification (reference §4). Works on the borrowed text first so that parsing costs
//! exactly one allocation (or none when the caller hands over a `String`).

use crate::layout::prefix;
use crate::{
    CommunicationCloudEnvironment, CommunicationIdentifier, CommunicationUserIdentifier,
    MicrosoftTeamsAppIdentifier, MicrosoftTeamsUserIdentifier, PhoneNumberIdentifier,
    TeamsExtensionUserIdentifier, UnknownIdentifier,
};

/// The longest known `seg0:seg1:` prefix is `8:teamsvisitor:` (15 bytes): colons further in
/// cannot start a known prefix, so long junk is rejected without scanning it.
const LONGEST_PREFIX: usize = prefix::TEAMS_VISITOR.len();

/// What a raw ID is, with the offsets needed to slice its parts.
#[derive(Debug, PartialEq, Eq)]
enum Shape {
    Phone,
    CommunicationUser,
    TeamsUser {
        prefix_len: usize,
        anonymous: bool,
        cloud: CommunicationCloudEnvironment,
    },
    TeamsApp {
        prefix_len: usize,
        cloud: CommunicationCloudEnvironment,
    },
    TeamsExtension {
        prefix_len: usize,
        first: usize,
        second: usize,
        cloud: CommunicationCloudEnvironment,
    },
    Unknown,
}

fn classify(raw: &str) -> Shape {
    use CommunicationCloudEnvironment::{Dod, Gcch, Public};

    let bytes = raw.as_bytes();
    if bytes.starts_with(prefix::PHONE.as_bytes()) {
        return Shape::Phone;
    }
    // Exactly three `:`-separated segments are required; find the first two colons within the
    // prefix window.
    let window = &bytes[..bytes.len().min(LONGEST_PREFIX)];
    let Some(first) = window.iter().position(|&b| b == b':') else {
        return Shape::Unknown;
    };
    let Some(second) = window[first + 1..].iter().position(|&b| b == b':') else {
        return Shape::Unknown;
    };
    let prefix_len = first + 1 + second + 1;
    let (head, suffix) = raw.split_at(prefix_len);
    if suffix.contains(':') {
        return Shape::Unknown;
    }
    let extension_or_user = |cloud| match suffix.find('_') {
        Some(first) => match suffix[first + 1..].find('_') {
            Some(second) if !suffix[first + 1 + second + 1..].contains('_') => {
                Shape::TeamsExtension {
                    prefix_len,
                    first: prefix_len + first,
                    second: prefix_len + first + 1 + second,
                    cloud,
                }
            }
            _ => Shape::CommunicationUser,
        },
        None => Shape::CommunicationUser,
    };
    match head {
        prefix::TEAMS_USER_PUBLIC => Shape::TeamsUser {
            prefix_len,
            anonymous: false,
            cloud: Public,
        },
        prefix::TEAMS_USER_DOD => Shape::TeamsUser {
            prefix_len,
            anonymous: false,
            cloud: Dod,
        },
        prefix::TEAMS_USER_GCCH => Shape::TeamsUser {
            prefix_len,
            anonymous: false,
            cloud: Gcch,
        },
        prefix::TEAMS_VISITOR => Shape::TeamsUser {
            prefix_len,
            anonymous: true,
            cloud: Public,
        },
        prefix::TEAMS_APP_PUBLIC => Shape::TeamsApp {
            prefix_len,
            cloud: Public,
        },
        prefix::TEAMS_APP_DOD => Shape::TeamsApp {
            prefix_len,
            cloud: Dod,
        },
        prefix::TEAMS_APP_GCCH => Shape::TeamsApp {
            prefix_len,
            cloud: Gcch,
        },
        prefix::SPOOL => Shape::CommunicationUser,
        prefix::ACS => extension_or_user(Public),
        prefix::DOD_ACS => extension_or_user(Dod),
        prefix::GCCH_ACS => extension_or_user(Gcch),
        _ => Shape::Unknown,
    }
}

/// Parses `raw`, taking ownership of its buffer. Total: every string gives an identifier.
pub(crate) fn parse(raw: String) -> CommunicationIdentifier {
    match classify(&raw) {
        Shape::Phone => PhoneNumberIdentifier::from_parsed(raw).into(),
        Shape::CommunicationUser => CommunicationUserIdentifier::from_parsed(raw).into(),
        Shape::TeamsUser {
            prefix_len,
            anonymous,
            cloud,
        } => MicrosoftTeamsUserIdentifier::from_parsed(raw, prefix_len, anonymous, cloud).into(),
        Shape::TeamsApp { prefix_len, cloud } => {
            MicrosoftTeamsAppIdentifier::from_parsed(raw, prefix_len, cloud).into()
        }
        Shape::TeamsExtension {
            prefix_len,
            first,
            second,
            cloud,
        } => {
            TeamsExtensionUserIdentifier::from_parsed(raw, prefix_len, first, second, cloud).into()
        }
        Shape::Unknown => UnknownIdentifier::from_parsed(raw).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colons_beyond_the_prefix_window_are_unknown() {
        // `x` * 20 then `:a:b` has three segments but no known prefix.
        let raw = format!("{}:a:b", "x".repeat(20));
        assert_eq!(classify(&raw), Shape::Unknown);
    }

    #[test]
    fn extension_offsets_point_at_the_underscores() {
        let raw = "8:acs:r_t_u";
        let Shape::TeamsExtension {
            prefix_len,
            first,
            second,
            ..
        } = classify(raw)
        else {
            panic!("not an extension user");
        };
        assert_eq!((prefix_len, first, second), (6, 7, 9));
        assert_eq!(&raw[first..=first], "_");
        assert_eq!(&raw[second..=second], "_");
    }

    #[test]
    fn longest_prefix_fits_the_window() {
        let raw = "8:teamsvisitor:x";
        assert!(matches!(
            classify(raw),
            Shape::TeamsUser {
                anonymous: true,
                ..
            }
        ));
    }
}
