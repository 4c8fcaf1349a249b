//! acs-identifiers' integration tests, in one test binary.

#[cfg(feature = "serde")]
mod model;
mod properties;
mod raw_id;
