//! The integration tests of `acs-refresh`, in one test binary.

#[cfg(feature = "azure-core")]
mod azure_core;
mod common;
mod engine_guarantees;
mod hardening;
mod memory;
mod official_sdk_scenarios;
mod rejected_tokens_and_retry_after;
mod runtime_shutdown;
mod secrets;
