//! The integration tests of acs-http, one binary: retries, request ids, parsing.

mod options;
mod parsing;
mod request_ids;
mod retry;
