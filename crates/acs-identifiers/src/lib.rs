#![doc = include_str!("../README.md")]

mod cloud;
mod error;
mod identifier;
mod identifier_ref;
mod kind;
mod kinds;
mod layout;
#[cfg(feature = "serde")]
mod model;
mod parse;

pub use cloud::CommunicationCloudEnvironment;
pub use error::IdentifierError;
pub use identifier::CommunicationIdentifier;
pub use identifier_ref::CommunicationIdentifierRef;
pub use kind::CommunicationIdentifierKind;
pub use kinds::{
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
