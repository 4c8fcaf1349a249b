use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

/// The cloud an identifier lives in.
///
/// The wire value is an open string enum: a newer service may send a value this version does
/// not know, which is kept verbatim in [`Other`](Self::Other) instead of failing. Known values
/// are recognised without regard to ASCII case (as the .NET SDK's extensible enums do) and
/// always written in their canonical lower-case form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub enum CommunicationCloudEnvironment {
    /// The public (commercial) cloud, `public`.
    #[default]
    Public,
    /// The US Department of Defense cloud, `dod`.
    Dod,
    /// The US Government Community Cloud High, `gcch`.
    Gcch,
    /// A value this version does not know, kept as received.
    ///
    /// Build it through [`FromStr`] so known values are not wrapped here by mistake: identifiers
    /// treat an unknown cloud like the public one when computing a raw ID.
    Other(String),
}

impl CommunicationCloudEnvironment {
    /// The wire form: `public`, `dod`, `gcch`, or the unknown value as received.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Public => "public",
            Self::Dod => "dod",
            Self::Gcch => "gcch",
            Self::Other(value) => value,
        }
    }

    /// Maps a wire value to a known variant, if it is one.
    fn known(value: &str) -> Option<Self> {
        [Self::Public, Self::Dod, Self::Gcch]
            .into_iter()
            .find(|known| known.as_str().eq_ignore_ascii_case(value))
    }
}

impl FromStr for CommunicationCloudEnvironment {
    type Err = Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self::known(value).unwrap_or_else(|| Self::Other(value.to_owned())))
    }
}

impl From<&str> for CommunicationCloudEnvironment {
    fn from(value: &str) -> Self {
        Self::known(value).unwrap_or_else(|| Self::Other(value.to_owned()))
    }
}

impl From<String> for CommunicationCloudEnvironment {
    fn from(value: String) -> Self {
        Self::known(&value).unwrap_or(Self::Other(value))
    }
}

impl fmt::Display for CommunicationCloudEnvironment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for CommunicationCloudEnvironment {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for CommunicationCloudEnvironment {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(crate::model::OpenEnumVisitor::<Self>::new("a cloud name"))
    }
}
