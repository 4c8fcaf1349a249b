//! One owned buffer per identifier: the raw ID first, then (only when an explicit raw ID does not
//! contain them) the parts. Parts are addressed by byte spans, so reading them is a borrow.

use crate::CommunicationCloudEnvironment;

/// A byte range of an identifier's buffer. Always on `char` boundaries: spans start and end at
/// the buffer's ends or next to ASCII delimiters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: usize,
    end: usize,
}

impl Span {
    pub(crate) const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    pub(crate) fn of(self, text: &str) -> &str {
        &text[self.start..self.end]
    }
}

/// The buffer and spans produced by [`layout`].
#[derive(Debug)]
pub(crate) struct Layout<const N: usize> {
    pub(crate) text: String,
    pub(crate) raw_len: usize,
    pub(crate) parts: [Span; N],
    /// Whether the raw ID was given and differs from the computed one.
    pub(crate) explicit: bool,
}

/// Lays out the raw ID `prefix + parts.join(separator)`, or `raw` when it is given, non-empty and
/// different. An empty explicit raw ID counts as absent, as in the JS SDK.
pub(crate) fn layout<const N: usize>(
    raw: Option<&str>,
    prefix: &str,
    parts: [&str; N],
    separator: &str,
) -> Layout<N> {
    let parts_len: usize = parts.iter().map(|part| part.len()).sum();
    let explicit = raw.filter(|raw| !raw.is_empty() && !is_concat(raw, prefix, &parts, separator));
    let mut spans = [Span::new(0, 0); N];
    match explicit {
        None => {
            let mut text = String::with_capacity(
                prefix.len() + parts_len + separator.len() * N.saturating_sub(1),
            );
            text.push_str(prefix);
            for (index, part) in parts.iter().enumerate() {
                if index > 0 {
                    text.push_str(separator);
                }
                spans[index] = push(&mut text, part);
            }
            Layout {
                raw_len: text.len(),
                text,
                parts: spans,
                explicit: false,
            }
        }
        Some(raw) => {
            let mut text = String::with_capacity(raw.len() + parts_len);
            text.push_str(raw);
            for (index, part) in parts.iter().enumerate() {
                spans[index] = push(&mut text, part);
            }
            Layout {
                raw_len: raw.len(),
                text,
                parts: spans,
                explicit: true,
            }
        }
    }
}

fn push(text: &mut String, part: &str) -> Span {
    let start = text.len();
    text.push_str(part);
    Span::new(start, text.len())
}

/// Whether `raw == prefix + parts.join(separator)`, without allocating.
fn is_concat(raw: &str, prefix: &str, parts: &[&str], separator: &str) -> bool {
    let Some(mut rest) = raw.strip_prefix(prefix) else {
        return false;
    };
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            match rest.strip_prefix(separator) {
                Some(after) => rest = after,
                None => return false,
            }
        }
        match rest.strip_prefix(part) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    rest.is_empty()
}

/// Raw ID prefixes (reference §4). Case-sensitive.
pub(crate) mod prefix {
    pub(crate) const PHONE: &str = "4:";
    pub(crate) const TEAMS_USER_PUBLIC: &str = "8:orgid:";
    pub(crate) const TEAMS_USER_DOD: &str = "8:dod:";
    pub(crate) const TEAMS_USER_GCCH: &str = "8:gcch:";
    pub(crate) const TEAMS_VISITOR: &str = "8:teamsvisitor:";
    pub(crate) const TEAMS_APP_PUBLIC: &str = "28:orgid:";
    pub(crate) const TEAMS_APP_DOD: &str = "28:dod:";
    pub(crate) const TEAMS_APP_GCCH: &str = "28:gcch:";
    pub(crate) const SPOOL: &str = "8:spool:";
    pub(crate) const ACS: &str = "8:acs:";
    pub(crate) const DOD_ACS: &str = "8:dod-acs:";
    pub(crate) const GCCH_ACS: &str = "8:gcch-acs:";
}

/// The prefix of a Teams user's raw ID. Unknown clouds use the public prefix, as the SDKs do.
pub(crate) fn teams_user_prefix(
    anonymous: bool,
    cloud: &CommunicationCloudEnvironment,
) -> &'static str {
    match (anonymous, cloud) {
        (true, _) => prefix::TEAMS_VISITOR,
        (false, CommunicationCloudEnvironment::Dod) => prefix::TEAMS_USER_DOD,
        (false, CommunicationCloudEnvironment::Gcch) => prefix::TEAMS_USER_GCCH,
        (false, _) => prefix::TEAMS_USER_PUBLIC,
    }
}

/// The prefix of a Teams app's raw ID.
pub(crate) fn teams_app_prefix(cloud: &CommunicationCloudEnvironment) -> &'static str {
    match cloud {
        CommunicationCloudEnvironment::Dod => prefix::TEAMS_APP_DOD,
        CommunicationCloudEnvironment::Gcch => prefix::TEAMS_APP_GCCH,
        _ => prefix::TEAMS_APP_PUBLIC,
    }
}

/// The prefix of a Teams extension user's raw ID.
pub(crate) fn teams_extension_prefix(cloud: &CommunicationCloudEnvironment) -> &'static str {
    match cloud {
        CommunicationCloudEnvironment::Dod => prefix::DOD_ACS,
        CommunicationCloudEnvironment::Gcch => prefix::GCCH_ACS,
        _ => prefix::ACS,
    }
}
