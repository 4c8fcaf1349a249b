//! Raw ID classification (reference §4). One function, [`classify`], decides the kind and the part
//! offsets from the borrowed text; the owned and the borrowed parse both build on its answer.
//!
//! Speed comes from deciding with few data-dependent branches: the kinds arrive shuffled, so every
//! branch on the kind is a likely misprediction. Within the first 16 bytes (the longest prefix has
//! 15) the second colon's position and the letter after the first colon index a table of the
//! known prefixes, and one masked 16-byte compare confirms the candidate, instead of a chain of
//! string compares. The rest is scanned once, a word at a time, for `:` (and `_` after an ACS
//! prefix); long junk without a known prefix is never scanned.

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
    /// `text` as a little-endian 16-byte word, and the mask of its bytes.
    word: u128,
    mask: u128,
}

impl KnownPrefix {
    const fn new(
        text: &'static str,
        kind: CommunicationIdentifierKind,
        cloud: PrefixCloud,
        anonymous: bool,
    ) -> Self {
        let bytes = text.as_bytes();
        let mut padded = [0u8; WINDOW];
        let mut index = 0;
        while index < bytes.len() {
            padded[index] = bytes[index];
            index += 1;
        }
        Self {
            text,
            kind,
            cloud,
            anonymous,
            word: u128::from_le_bytes(padded),
            mask: u128::MAX >> (8 * (WINDOW - bytes.len())),
        }
    }

    /// The table key: the prefix length (the second colon's offset + 1, at most [`WINDOW`]) and
    /// bits 1..4 of the letter after the first colon, which tell apart the prefixes of one length.
    const fn key(len: usize, letter: u8) -> usize {
        (len << 3) | ((letter >> 1) & 7) as usize
    }
}

/// Bytes looked at to find the prefix. The longest prefix, `8:teamsvisitor:`, has 15.
const WINDOW: usize = 16;

const KNOWN: [KnownPrefix; 11] = {
    use CommunicationIdentifierKind::{
        CommunicationUser, MicrosoftTeamsApp, MicrosoftTeamsUser, TeamsExtensionUser,
    };
    use PrefixCloud::{Dod, Gcch, Public};
    [
        KnownPrefix::new(prefix::TEAMS_USER_PUBLIC, MicrosoftTeamsUser, Public, false),
        KnownPrefix::new(prefix::TEAMS_USER_DOD, MicrosoftTeamsUser, Dod, false),
        KnownPrefix::new(prefix::TEAMS_USER_GCCH, MicrosoftTeamsUser, Gcch, false),
        KnownPrefix::new(prefix::TEAMS_VISITOR, MicrosoftTeamsUser, Public, true),
        KnownPrefix::new(prefix::TEAMS_APP_PUBLIC, MicrosoftTeamsApp, Public, false),
        KnownPrefix::new(prefix::TEAMS_APP_DOD, MicrosoftTeamsApp, Dod, false),
        KnownPrefix::new(prefix::TEAMS_APP_GCCH, MicrosoftTeamsApp, Gcch, false),
        KnownPrefix::new(prefix::SPOOL, CommunicationUser, Public, false),
        KnownPrefix::new(prefix::ACS, TeamsExtensionUser, Public, false),
        KnownPrefix::new(prefix::DOD_ACS, TeamsExtensionUser, Dod, false),
        KnownPrefix::new(prefix::GCCH_ACS, TeamsExtensionUser, Gcch, false),
    ]
};

/// `KNOWN` index + 1 by [`KnownPrefix::key`]; 0 for no prefix. Building it fails to compile if
/// two prefixes share a key.
static BY_KEY: [u8; KnownPrefix::key(WINDOW, 0xff) + 1] = {
    let mut table = [0u8; KnownPrefix::key(WINDOW, 0xff) + 1];
    let mut index = 0;
    while index < KNOWN.len() {
        let text = KNOWN[index].text.as_bytes();
        let key = KnownPrefix::key(text.len(), text[colon_after(text, 0) + 1]);
        assert!(table[key] == 0, "two raw ID prefixes share a table key");
        table[key] = index as u8 + 1;
        index += 1;
    }
    table
};

/// The offset of the first `:` at or after `from` in a prefix (compile time only).
const fn colon_after(text: &[u8], from: usize) -> usize {
    let mut index = from;
    while text[index] != b':' {
        index += 1;
    }
    index
}

/// Decides what `raw` is. Total: every string has a shape.
#[inline]
pub(crate) fn classify(raw: &str) -> Shape {
    let bytes = raw.as_bytes();
    if bytes.starts_with(prefix::PHONE.as_bytes()) {
        return Shape {
            prefix_len: prefix::PHONE.len(),
            ..Shape::whole(CommunicationIdentifierKind::PhoneNumber)
        };
    }
    let window = match bytes.first_chunk::<WINDOW>() {
        Some(head) => *head,
        None => padded(bytes),
    };
    // The first two colons. None in the window gives `prefix_len` 0 or 17: no table entry.
    let first = window
        .iter()
        .position(|&byte| byte == b':')
        .unwrap_or(WINDOW);
    let after = (first + 1).min(WINDOW);
    let prefix_len = window[after..]
        .iter()
        .position(|&byte| byte == b':')
        .map_or(0, |at| after + at + 1);
    let letter = window[after % WINDOW];
    let entry = BY_KEY
        .get(KnownPrefix::key(prefix_len, letter))
        .map_or(0, |&entry| usize::from(entry));
    let Some(known) = entry.checked_sub(1).and_then(|index| KNOWN.get(index)) else {
        return Shape::whole(CommunicationIdentifierKind::Unknown);
    };
    let word = u128::from_le_bytes(window);
    let Some(suffix) = bytes
        .get(prefix_len..)
        .filter(|_| (word ^ known.word) & known.mask == 0)
    else {
        return Shape::whole(CommunicationIdentifierKind::Unknown);
    };
    let mut shape = Shape {
        kind: known.kind,
        cloud: known.cloud,
        anonymous: known.anonymous,
        prefix_len,
        underscores: [0; 2],
    };
    if shape.kind == CommunicationIdentifierKind::TeamsExtensionUser {
        // A Teams extension user iff the suffix splits on `_` into exactly three parts, else a
        // communication user; one pass that also finds a colon.
        let delimiters = Delimiters::of(suffix);
        if delimiters.colon {
            shape.kind = CommunicationIdentifierKind::Unknown;
        } else if delimiters.underscores == 2 {
            shape.underscores = delimiters.first_two.map(|at| prefix_len + at);
        } else {
            shape.kind = CommunicationIdentifierKind::CommunicationUser;
        }
    } else if find_either(suffix, b':', b':').is_some() {
        // A third colon makes four segments.
        shape.kind = CommunicationIdentifierKind::Unknown;
    }
    shape
}

/// A text shorter than the window, zero-padded (zero is no delimiter).
#[inline(never)]
fn padded(bytes: &[u8]) -> [u8; WINDOW] {
    let mut padded = [0u8; WINDOW];
    let len = bytes.len().min(WINDOW);
    padded[..len].copy_from_slice(&bytes[..len]);
    padded
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

/// What the text after a prefix holds: whether any `:`, how many `_`, and where the first two are
/// (offsets past the underscores found are unspecified).
#[derive(Debug, Default, PartialEq, Eq)]
struct Delimiters {
    colon: bool,
    underscores: u32,
    first_two: [usize; 2],
}

impl Delimiters {
    /// One pass that stops at the first colon.
    #[inline]
    fn of(bytes: &[u8]) -> Self {
        let mut found = Self::default();
        let mut from = 0;
        while let Some(at) = find_either(&bytes[from..], b':', b'_').map(|at| from + at) {
            if bytes[at] == b':' {
                found.colon = true;
                break;
            }
            if let Some(slot) = found.first_two.get_mut(found.underscores as usize) {
                *slot = at;
            }
            found.underscores += 1;
            from = at + 1;
        }
        found
    }
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

    /// A plain reference scan, byte by byte.
    fn delimiters_by_bytes(bytes: &[u8]) -> Delimiters {
        let positions: Vec<usize> = (0..bytes.len()).filter(|&at| bytes[at] == b'_').collect();
        Delimiters {
            colon: bytes.contains(&b':'),
            underscores: positions.len() as u32,
            first_two: [0, 1].map(|index| positions.get(index).copied().unwrap_or(0)),
        }
    }

    #[test]
    fn delimiter_scan_agrees_with_a_plain_scan() {
        for len in [0, 1, 5, 15, 16, 17, 31, 32, 33, 47, 70] {
            let mut text = vec![b'x'; len];
            for first in 0..len {
                for second in first..len {
                    text[first] = b'_';
                    text[second] = b'_';
                    let mut found = Delimiters::of(&text);
                    let expected = delimiters_by_bytes(&text);
                    // Offsets past the underscores found are unspecified.
                    for index in expected.underscores as usize..2 {
                        found.first_two[index] = expected.first_two[index];
                    }
                    assert_eq!(found, expected, "{len} {first} {second}");
                    text[second] = b':';
                    assert!(Delimiters::of(&text).colon, "{len} {second}");
                    text[first] = b'x';
                    text[second] = b'x';
                }
            }
        }
        // Bytes next to the delimiters in value must not match.
        assert_eq!(
            Delimiters::of(&[b'9', b';', b'^', b'`', 0x80, 0xff]),
            Delimiters::default()
        );
        assert_eq!(Delimiters::of(&[b'_'; 100]).underscores, 100);
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
        let shape = classify("8:teamsvisitor:x");
        assert_eq!(shape.kind, CommunicationIdentifierKind::MicrosoftTeamsUser);
        assert!(shape.anonymous);
    }
}
