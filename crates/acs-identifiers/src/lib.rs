#![doc = include_str!("../README.md")]

mod cloud;
mod error;
mod identifier;
mod identifier_kind;
mod identifier_ref;
mod identifier_types;
mod layout;
#[cfg(feature = "serde")]
mod model;
mod parse;

pub use cloud::CommunicationCloudEnvironment;
pub use error::IdentifierError;
pub use identifier::CommunicationIdentifier;
pub use identifier_kind::CommunicationIdentifierKind;
pub use identifier_ref::CommunicationIdentifierRef;
pub use identifier_types::{
    CommunicationUserIdentifier, MicrosoftTeamsAppIdentifier, MicrosoftTeamsUserIdentifier,
    PhoneNumberIdentifier, TeamsExtensionUserIdentifier, UnknownIdentifier,
};
#[cfg(feature = "serde")]
pub use model::{
    CommunicationIdentifierModel, CommunicationIdentifierModelKind,
    CommunicationUserIdentifierModel, MicrosoftTeamsAppIdentifierModel,
    MicrosoftTeamsUserIdentifierModel, PhoneNumberIdentifierModel,
    TeamsExtensionUserIdentifierModel,
};
