//! Semantic versions and how a release bumps them.

use std::fmt;
use std::str::FromStr;

/// A `MAJOR.MINOR.PATCH` version, optionally with a pre-release suffix (`1.0.0-beta.1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version {
    pub(crate) major: u64,
    pub(crate) minor: u64,
    pub(crate) patch: u64,
    pub(crate) pre: Option<String>,
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            // A pre-release comes before its release.
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(_), None) => std::cmp::Ordering::Less,
                (Some(a), Some(b)) => compare_pre_release(a, b),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Semver's pre-release order: dot-separated identifiers, numeric ones compared as numbers
/// and below alphanumeric ones, a shorter list first when all shared identifiers are equal.
fn compare_pre_release(a: &str, b: &str) -> std::cmp::Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => std::cmp::Ordering::Less,
                    (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if order.is_ne() {
                    return order;
                }
            }
        }
    }
}

impl FromStr for Version {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (core, pre) = match text.split_once('-') {
            Some((core, pre)) if !pre.is_empty() => (core, Some(pre.to_owned())),
            Some(_) => return Err(format!("`{text}` has an empty pre-release suffix")),
            None => (text, None),
        };
        let numbers: Vec<&str> = core.split('.').collect();
        let [major, minor, patch] = numbers.as_slice() else {
            return Err(format!("`{text}` is not a MAJOR.MINOR.PATCH version"));
        };
        let number = |part: &str| {
            if part.is_empty() || (part.len() > 1 && part.starts_with('0')) {
                return Err(format!("`{text}` has an invalid number `{part}`"));
            }
            part.parse::<u64>()
                .map_err(|_| format!("`{text}` has an invalid number `{part}`"))
        };
        Ok(Version {
            major: number(major)?,
            minor: number(minor)?,
            patch: number(patch)?,
            pre,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(pre) = &self.pre {
            write!(f, "-{pre}")?;
        }
        Ok(())
    }
}

/// What a release asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bump {
    Patch,
    Minor,
    Major,
    /// Every released crate gets exactly this version.
    Exact(Version),
}

impl FromStr for Bump {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "patch" => Ok(Bump::Patch),
            "minor" => Ok(Bump::Minor),
            "major" => Ok(Bump::Major),
            other => other
                .parse()
                .map(Bump::Exact)
                .map_err(|error| format!("expected patch, minor, major or a version: {error}")),
        }
    }
}

impl Bump {
    /// The version after this bump, following Cargo's reading of semver: `major` is the next
    /// breaking release (0.x → 0.(x+1).0, 0.0.x → 0.0.(x+1)), `minor` the next compatible
    /// feature release (a patch bump below 1.0.0), `patch` a fix. A pre-release bumps to its
    /// release.
    pub(crate) fn apply(&self, current: &Version) -> Result<Version, String> {
        let next = match self {
            Bump::Exact(version) => version.clone(),
            _ if current.pre.is_some() => Version {
                pre: None,
                ..current.clone()
            },
            Bump::Patch => Version {
                patch: current.patch + 1,
                ..current.clone()
            },
            Bump::Minor if current.major == 0 => Version {
                patch: current.patch + 1,
                ..current.clone()
            },
            Bump::Minor => Version {
                minor: current.minor + 1,
                patch: 0,
                ..current.clone()
            },
            Bump::Major if current.major == 0 && current.minor == 0 => Version {
                patch: current.patch + 1,
                ..current.clone()
            },
            Bump::Major if current.major == 0 => Version {
                minor: current.minor + 1,
                patch: 0,
                ..current.clone()
            },
            Bump::Major => Version {
                major: current.major + 1,
                minor: 0,
                patch: 0,
                pre: None,
            },
        };
        if next <= *current {
            return Err(format!("{next} is not newer than {current}"));
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        text.parse().unwrap()
    }

    #[test]
    fn parses_and_prints_versions() {
        assert_eq!(v("1.2.3").to_string(), "1.2.3");
        assert_eq!(v("0.1.0-beta.2").to_string(), "0.1.0-beta.2");
        for bad in ["1.2", "1.2.3.4", "01.2.3", "a.b.c", "1.2.3-", "", "1..3"] {
            assert!(bad.parse::<Version>().is_err(), "{bad}");
        }
    }

    #[test]
    fn bumps_follow_cargo_semver() {
        let bump = |kind: &str, from: &str| {
            kind.parse::<Bump>()
                .unwrap()
                .apply(&v(from))
                .unwrap()
                .to_string()
        };
        assert_eq!(bump("patch", "0.1.0"), "0.1.1");
        assert_eq!(bump("patch", "1.4.2"), "1.4.3");
        // Below 1.0 the minor number is the breaking one, so a compatible feature is a patch.
        assert_eq!(bump("minor", "0.1.3"), "0.1.4");
        assert_eq!(bump("minor", "1.4.2"), "1.5.0");
        assert_eq!(bump("major", "0.1.3"), "0.2.0");
        assert_eq!(bump("major", "0.0.3"), "0.0.4");
        assert_eq!(bump("major", "1.4.2"), "2.0.0");
        assert_eq!(bump("patch", "1.0.0-beta.1"), "1.0.0");
        assert_eq!(bump("0.3.0", "0.1.0"), "0.3.0");
    }

    #[test]
    fn orders_pre_releases_before_releases() {
        assert!(v("1.0.0-beta.1") < v("1.0.0"));
        assert!(v("1.0.0-beta.2") < v("1.0.0-beta.11"));
        assert!(v("1.0.0-alpha") < v("1.0.0-alpha.1"));
        assert!(v("1.0.0-1") < v("1.0.0-alpha"));
        assert!(v("0.9.9") < v("1.0.0-alpha"));
    }

    #[test]
    fn refuses_to_go_backwards() {
        let exact: Bump = "0.1.0".parse().unwrap();
        assert!(exact.apply(&v("0.2.0")).is_err());
        assert!(exact.apply(&v("0.1.0")).is_err());
        assert!("sideways".parse::<Bump>().is_err());
    }
}
