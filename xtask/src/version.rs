//! How a release bumps semantic versions (parsing and ordering are the `semver` crate's).

use std::str::FromStr;

pub(crate) use semver::Version;

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
            other => other.parse().map(Bump::Exact).map_err(|error| {
                format!("expected patch, minor, major or a version, not `{other}`: {error}")
            }),
        }
    }
}

impl Bump {
    /// The version after this bump, following Cargo's reading of semver: `major` is the next
    /// breaking release (0.x → 0.(x+1).0, 0.0.x → 0.0.(x+1)), `minor` the next compatible
    /// feature release (a patch bump below 1.0.0), `patch` a fix. A pre-release bumps to its
    /// release.
    pub(crate) fn apply(&self, current: &Version) -> Result<Version, String> {
        let Version {
            major,
            minor,
            patch,
            ..
        } = *current;
        let next = match self {
            Bump::Exact(version) => version.clone(),
            _ if !current.pre.is_empty() => Version::new(major, minor, patch),
            Bump::Patch => Version::new(major, minor, patch + 1),
            Bump::Minor if major == 0 => Version::new(major, minor, patch + 1),
            Bump::Minor => Version::new(major, minor + 1, 0),
            Bump::Major if major == 0 && minor == 0 => Version::new(major, minor, patch + 1),
            Bump::Major if major == 0 => Version::new(major, minor + 1, 0),
            Bump::Major => Version::new(major + 1, 0, 0),
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
