//! acs-common's integration tests: one test binary, one module per topic.

mod chat_example;
mod doc_links;
mod quickstart;
mod token_server;
mod troubleshooting;
