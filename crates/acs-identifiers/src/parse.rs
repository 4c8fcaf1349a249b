//! Raw ID classification (reference §4). Works on the borrowed text first so that parsing costs
//! exactly one allocation (or none when the caller hands over a `String`).

use crate::layout::prefix;
use crate::{
    CommunicationCloudEnvironment, CommunicationIdentifier, CommunicationIdentifierKind,
    CommunicationUserIdentifier, MicrosoftTeamsAppIdentifier, MicrosoftTeamsUserIdentifier,
    PhoneNumberIdentifier, TeamsExtensionUserIdentifier, UnknownIdentifier,
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
    let suffix = suffix.as_bytes();
    // Match the prefix first: unknown prefixes need no scan of the (possibly long) rest.
    let shape = match head {
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
        prefix::ACS => return extension_or_user(suffix, prefix_len, Public),
        prefix::DOD_ACS => return extension_or_user(suffix, prefix_len, Dod),
        prefix::GCCH_ACS => return extension_or_user(suffix, prefix_len, Gcch),
        _ => return Shape::Unknown,
    };
    // A third colon makes four segments.
    if find_either(suffix, b':', b':').is_some() {
        Shape::Unknown
    } else {
        shape
    }
}

/// After an ACS prefix: a Teams extension user iff the suffix splits on `_` into exactly three
/// parts, else a communication user; unknown if the suffix has a colon. One pass.
fn extension_or_user(
    suffix: &[u8],
    prefix_len: usize,
    cloud: CommunicationCloudEnvironment,
) -> Shape {
    let mut underscores = [0usize; 3];
    let mut count = 0;
    let mut from = 0;
    while let Some(found) = find_either(&suffix[from..], b':', b'_') {
        let at = from + found;
        if suffix[at] == b':' {
            return Shape::Unknown;
        }
        if count < underscores.len() {
            underscores[count] = at;
        }
        count += 1;
        from = at + 1;
    }
    if count == 2 {
        Shape::TeamsExtension {
            prefix_len,
            first: prefix_len + underscores[0],
            second: prefix_len + underscores[1],
            cloud,
        }
    } else {
        Shape::CommunicationUser
    }
}

/// Position of the first byte equal to `a` or `b`. Compares 16 bytes per step with the
/// "has a zero byte" word trick (the std `memchr` looks for one byte only, and the `memchr`
/// crate would be a dependency).
fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let has_zero_byte = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS != 0;
    let (splat_a, splat_b) = (ONES * u64::from(a), ONES * u64::from(b));
    let matches = |byte: &u8| *byte == a || *byte == b;

    let mut chunks = bytes.chunks_exact(16);
    let mut offset = 0;
    for chunk in &mut chunks {
        let (low, high) = chunk.split_at(8);
        let (Ok(low), Ok(high)) = (<[u8; 8]>::try_from(low), <[u8; 8]>::try_from(high)) else {
            break;
        };
        let (low, high) = (u64::from_ne_bytes(low), u64::from_ne_bytes(high));
        if has_zero_byte(low ^ splat_a)
            | has_zero_byte(low ^ splat_b)
            | has_zero_byte(high ^ splat_a)
            | has_zero_byte(high ^ splat_b)
        {
            return chunk.iter().position(matches).map(|at| offset + at);
        }
        offset += 16;
    }
    bytes[offset..]
        .iter()
        .position(matches)
        .map(|at| offset + at)
}

/// The kind `raw` parses to, without allocating.
pub(crate) fn kind_of(raw: &str) -> CommunicationIdentifierKind {
    match classify(raw) {
        Shape::Phone => CommunicationIdentifierKind::PhoneNumber,
        Shape::CommunicationUser => CommunicationIdentifierKind::CommunicationUser,
        Shape::TeamsUser { .. } => CommunicationIdentifierKind::MicrosoftTeamsUser,
        Shape::TeamsApp { .. } => CommunicationIdentifierKind::MicrosoftTeamsApp,
        Shape::TeamsExtension { .. } => CommunicationIdentifierKind::TeamsExtensionUser,
        Shape::Unknown => CommunicationIdentifierKind::Unknown,
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
    fn find_either_agrees_with_a_plain_scan() {
        let mut text = vec![b'x'; 70];
        for at in [0, 7, 8, 15, 16, 17, 31, 32, 47, 63, 64, 69] {
            for needle in [b':', b'_'] {
                text[at] = needle;
                assert_eq!(find_either(&text, b':', b'_'), Some(at), "{at}");
                assert_eq!(find_either(&text[..at], b':', b'_'), None);
                text[at] = b'x';
            }
        }
        // Bytes next to the needles in value must not match.
        assert_eq!(
            find_either(&[b'9', b';', b'^', b'`', 0x80, 0xff], b':', b'_'),
            None
        );
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
