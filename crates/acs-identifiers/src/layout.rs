//! One owned buffer per identifier: the raw ID first, then (only when an explicit raw ID does not
//! contain them) the parts. Parts are addressed by byte offsets, so reading them is a borrow.
//!
//! Every kind stores the same [`Layout`], so building and dropping a
//! [`CommunicationIdentifier`](crate::CommunicationIdentifier) runs the same code whatever the
//! kind: the parsed kinds arrive shuffled, and a branch on the kind would mispredict.

use crate::CommunicationCloudEnvironment;
use crate::parse::{PrefixCloud, Shape};

/// An identifier's text and where its parts are. Up to three parts, in the order they appear.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    text: String,
    raw_len: usize,
    /// Where the first part starts, and where the first and the second end. The last part ends
    /// the text.
    bounds: [usize; 3],
    /// Bytes between two parts: the separator's length when the parts are in the raw ID, else 0.
    gap: u8,
    cloud: PrefixCloud,
    anonymous: bool,
    /// Whether the raw ID was given and differs from the computed one.
    explicit: bool,
    /// A cloud no prefix names (only the wire model gives one), out of line: it is rare, and
    /// keeping it here would make every identifier larger and its drop a branch on the cloud.
    other_cloud: Option<Box<CommunicationCloudEnvironment>>,
}

/// The known clouds, to lend out as `&CommunicationCloudEnvironment`, by [`PrefixCloud`].
static CLOUDS: [CommunicationCloudEnvironment; 3] = [
    CommunicationCloudEnvironment::Public,
    CommunicationCloudEnvironment::Dod,
    CommunicationCloudEnvironment::Gcch,
];

/// A cloud as a prefix tag and, for a cloud no prefix names, the value itself. Unknown clouds
/// use the public prefix, as the SDKs do.
fn split_cloud(
    cloud: CommunicationCloudEnvironment,
) -> (PrefixCloud, Option<Box<CommunicationCloudEnvironment>>) {
    match cloud {
        CommunicationCloudEnvironment::Public => (PrefixCloud::Public, None),
        CommunicationCloudEnvironment::Dod => (PrefixCloud::Dod, None),
        CommunicationCloudEnvironment::Gcch => (PrefixCloud::Gcch, None),
        other @ CommunicationCloudEnvironment::Other(_) => {
            (PrefixCloud::Public, Some(Box::new(other)))
        }
    }
}

impl Layout {
    /// A text that is the raw ID and the only part.
    pub(crate) fn whole(text: String) -> Self {
        Self {
            raw_len: text.len(),
            text,
            bounds: [0; 3],
            gap: 0,
            cloud: PrefixCloud::Public,
            anonymous: false,
            explicit: false,
            other_cloud: None,
        }
    }

    /// A parsed raw ID: `shape` must be `classify(&raw)`. No branch on the kind.
    #[inline]
    pub(crate) fn parsed(raw: String, shape: &Shape) -> Self {
        let [first, second] = shape.underscores;
        Self {
            raw_len: raw.len(),
            text: raw,
            bounds: [shape.prefix_len, first, second],
            gap: 1,
            cloud: shape.cloud,
            anonymous: shape.anonymous,
            explicit: false,
            other_cloud: None,
        }
    }

    /// Lays out the raw ID `prefix(cloud) + parts.join(separator)`, or `raw` when it is given,
    /// non-empty and different. An empty explicit raw ID counts as absent, as in the JS SDK.
    pub(crate) fn assemble<const N: usize>(
        raw: Option<&str>,
        prefix: fn(PrefixCloud) -> &'static str,
        parts: [&str; N],
        separator: &'static str,
        cloud: CommunicationCloudEnvironment,
        anonymous: bool,
    ) -> Self {
        const { assert!(N == 1 || N == 3, "one or three parts") };
        let (cloud, other_cloud) = split_cloud(cloud);
        let prefix = prefix(cloud);
        let parts_len: usize = parts.iter().map(|part| part.len()).sum();
        let explicit =
            raw.filter(|raw| !raw.is_empty() && !is_concat(raw, prefix, &parts, separator));
        let (mut text, gap) = match explicit {
            None => {
                let mut text = String::with_capacity(
                    prefix.len() + parts_len + separator.len() * N.saturating_sub(1),
                );
                text.push_str(prefix);
                (text, separator)
            }
            Some(raw) => {
                let mut text = String::with_capacity(raw.len() + parts_len);
                text.push_str(raw);
                (text, "")
            }
        };
        let mut bounds = [text.len(); 3];
        for (index, part) in parts.iter().enumerate() {
            if index > 0 {
                text.push_str(gap);
            }
            text.push_str(part);
            if let Some(bound) = bounds.get_mut(index + 1) {
                *bound = text.len();
            }
        }
        Self {
            raw_len: explicit.map_or(text.len(), str::len),
            text,
            bounds,
            gap: gap.len() as u8,
            cloud,
            anonymous,
            explicit: explicit.is_some(),
            other_cloud,
        }
    }

    /// The raw ID.
    #[inline]
    pub(crate) fn raw_id(&self) -> &str {
        // Usually the whole text: no slicing, so no char-boundary check reading the text.
        if self.explicit {
            &self.text[..self.raw_len]
        } else {
            &self.text
        }
    }

    /// The raw ID, when it was given and differs from the computed one.
    pub(crate) fn explicit_raw_id(&self) -> Option<&str> {
        self.explicit.then(|| self.raw_id())
    }

    /// The part of a one-part layout.
    pub(crate) fn part(&self) -> &str {
        &self.text[self.bounds[0]..]
    }

    /// Part `index` (0, 1 or 2) of a three-part layout.
    pub(crate) fn part_of_three(&self, index: usize) -> &str {
        let gap = usize::from(self.gap);
        let [start, first_end, second_end] = self.bounds;
        match index {
            0 => &self.text[start..first_end],
            1 => &self.text[first_end + gap..second_end],
            _ => &self.text[second_end + gap..],
        }
    }

    pub(crate) fn cloud(&self) -> &CommunicationCloudEnvironment {
        match &self.other_cloud {
            Some(other) => other,
            None => &CLOUDS[self.cloud as usize],
        }
    }

    pub(crate) fn anonymous(&self) -> bool {
        self.anonymous
    }

    pub(crate) fn into_raw_id(mut self) -> String {
        self.text.truncate(self.raw_len);
        self.text
    }
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

/// Raw ID prefixes, compared case-sensitively: `4:` for phone numbers, `seg0:seg1:` for the rest.
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

/// The prefix of a phone number's raw ID (no cloud).
pub(crate) fn phone_prefix(_: PrefixCloud) -> &'static str {
    prefix::PHONE
}

/// The prefix of a (not anonymous) Teams user's raw ID.
pub(crate) fn teams_user_prefix(cloud: PrefixCloud) -> &'static str {
    match cloud {
        PrefixCloud::Public => prefix::TEAMS_USER_PUBLIC,
        PrefixCloud::Dod => prefix::TEAMS_USER_DOD,
        PrefixCloud::Gcch => prefix::TEAMS_USER_GCCH,
    }
}

/// The prefix of an anonymous Teams user's (a visitor's) raw ID, whatever the cloud.
pub(crate) fn teams_visitor_prefix(_: PrefixCloud) -> &'static str {
    prefix::TEAMS_VISITOR
}

/// The prefix of a Teams app's raw ID.
pub(crate) fn teams_app_prefix(cloud: PrefixCloud) -> &'static str {
    match cloud {
        PrefixCloud::Public => prefix::TEAMS_APP_PUBLIC,
        PrefixCloud::Dod => prefix::TEAMS_APP_DOD,
        PrefixCloud::Gcch => prefix::TEAMS_APP_GCCH,
    }
}

/// The prefix of a Teams extension user's raw ID.
pub(crate) fn teams_extension_prefix(cloud: PrefixCloud) -> &'static str {
    match cloud {
        PrefixCloud::Public => prefix::ACS,
        PrefixCloud::Dod => prefix::DOD_ACS,
        PrefixCloud::Gcch => prefix::GCCH_ACS,
    }
}
