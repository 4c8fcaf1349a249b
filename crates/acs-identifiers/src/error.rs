use crate::CommunicationIdentifierKind;

/// Why an identifier could not be built.
///
/// Parsing a raw ID never fails; these errors come from the part constructors and from
/// converting a wire model (feature `serde`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentifierError {
    /// A required part was empty, e.g. `PhoneNumberIdentifier::new("")`.
    #[error("Property {part} must not be empty for identifier of type {kind}.")]
    EmptyPart {
        /// The kind being built.
        kind: CommunicationIdentifierKind,
        /// The wire name of the empty part, e.g. `userId`.
        part: &'static str,
    },
    /// A wire model carried more than one nested model.
    #[error("Only one of the properties in [{}] should be present.", .present.join(", "))]
    MultipleNestedModels {
        /// The wire names of the nested models that were present.
        present: Vec<&'static str>,
    },
    /// A wire model lacked a property its kind requires.
    #[error("Property {property} is required for identifier of type {kind}.")]
    MissingProperty {
        /// The wire name of the missing property, e.g. `rawId`.
        property: &'static str,
        /// The kind being built.
        kind: CommunicationIdentifierKind,
    },
}
