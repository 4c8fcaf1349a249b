use std::fmt;

use crate::CommunicationIdentifierKind;

/// Why an identifier could not be built.
///
/// Parsing a raw ID never fails; these errors come from the part constructors and from
/// converting a wire model (feature `serde`). `Display` and `Error` are written by hand so that,
/// without the `serde` feature, this crate depends on nothing but std.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentifierError {
    /// A required part was empty, e.g. `PhoneNumberIdentifier::new("")`.
    EmptyPart {
        /// The kind being built.
        kind: CommunicationIdentifierKind,
        /// The wire name of the empty part, e.g. `userId`.
        part: &'static str,
    },
    /// A wire model carried more than one nested model.
    MultipleNestedModels {
        /// The wire names of the nested models that were present.
        present: Vec<&'static str>,
    },
    /// A wire model lacked a property its kind requires.
    MissingProperty {
        /// The wire name of the missing property, e.g. `rawId`.
        property: &'static str,
        /// The kind being built.
        kind: CommunicationIdentifierKind,
    },
}

impl fmt::Display for IdentifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentifierError::EmptyPart { kind, part } => {
                write!(
                    f,
                    "Property {part} must not be empty for identifier of type {kind}."
                )
            }
            IdentifierError::MultipleNestedModels { present } => {
                write!(
                    f,
                    "Only one of the properties in [{}] should be present.",
                    present.join(", ")
                )
            }
            IdentifierError::MissingProperty { property, kind } => {
                write!(
                    f,
                    "Property {property} is required for identifier of type {kind}."
                )
            }
        }
    }
}

impl std::error::Error for IdentifierError {}
