use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use acs_http::{Endpoint, HttpClient, HttpClientOptions, RetryPolicy};
use acs_refresh::CommunicationTokenCredential;
use http::Method;

use crate::error::{ChatError, ChatOperation};
use crate::models::{ChatThreadItem, CreateChatThreadResult, FailedParticipant};
use crate::options::{CreateChatThreadOptions, ListOptions};
use crate::paging::{self, ChatItems, Takes};
use crate::pipeline::{Call, Pipeline, segment};
use crate::thread_client::ChatThreadClient;
use crate::wire::{CreateChatThreadRequest, CreateChatThreadResponse};

/// The chat api-version this client speaks unless told otherwise: the newest that both
/// official SDKs accept (Python 1.3.0 sends it; JS 1.6.0 sends `2025-03-15`).
pub const DEFAULT_API_VERSION: &str = "2024-03-07";

/// The api-version that added thread metadata, retention policies and participant metadata.
pub const API_VERSION_2025_03_15: &str = "2025-03-15";

/// A client for Azure Communication Services chat, acting as the user whose token the
/// credential holds: create, list and delete threads, and get a [`ChatThreadClient`] for one.
///
/// Every request carries `Authorization: Bearer <token>` from the credential, asked again on
/// every attempt. Retries, timeouts, endpoint rules and error decoding are [`acs_http`]'s. When
/// the service answers 401, the client asks the credential for a new token once (a forced
/// refresh) and sends again; a second 401 is returned as the error. Clones share one
/// connection pool; the client is `Send + Sync`, and its `Debug` output shows no token.
#[derive(Clone)]
pub struct ChatClient {
    pipeline: Arc<Pipeline>,
}

impl fmt::Debug for ChatClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatClient")
            .field("endpoint", &self.pipeline.endpoint)
            .field("api_version", &self.pipeline.api_version)
            .field("retry_policy", self.pipeline.http.retry_policy())
            .finish_non_exhaustive()
    }
}

impl ChatClient {
    /// A client for the resource at `endpoint` (`https://<resource>.communication.azure.com`)
    /// with the default options.
    ///
    /// # Errors
    /// [`ChatError::Endpoint`] for an unusable endpoint (plain `http` is allowed for loopback
    /// hosts only), [`ChatError::HttpClient`] when the HTTP client cannot be built.
    pub fn new(
        endpoint: &str,
        credential: CommunicationTokenCredential,
    ) -> Result<Self, ChatError> {
        Self::builder(endpoint, credential).build()
    }

    /// A builder, to choose the api-version, retries, timeouts or a shared HTTP client.
    pub fn builder(endpoint: &str, credential: CommunicationTokenCredential) -> ChatClientBuilder {
        ChatClientBuilder {
            endpoint: endpoint.to_owned(),
            credential,
            api_version: DEFAULT_API_VERSION.to_owned(),
            http: HttpClientOptions::default(),
        }
    }

    /// The resource endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.pipeline.endpoint
    }

    /// The `api-version` sent with every request.
    pub fn api_version(&self) -> &str {
        &self.pipeline.api_version
    }

    /// A client for the thread `thread_id` (`19:...@thread.v2`), sharing this client's
    /// credential, HTTP client and options.
    ///
    /// # Errors
    /// [`ChatError::InvalidArgument`] for an empty id.
    pub fn chat_thread_client(
        &self,
        thread_id: impl Into<String>,
    ) -> Result<ChatThreadClient, ChatError> {
        ChatThreadClient::new(Arc::clone(&self.pipeline), thread_id.into())
    }

    /// Creates a thread (`POST /chat/threads`) with a topic and participants.
    ///
    /// The request carries a `repeatability-request-id` (the options' idempotency token, or a
    /// fresh UUID), the same on every retry and on the resend after a 401, so a retried create
    /// never makes two threads. Participants the service could not add are listed in the
    /// result, not returned as an error.
    ///
    /// # Errors
    /// [`ChatError::InvalidArgument`] for an empty topic or idempotency token,
    /// [`ChatError::UnsupportedByApiVersion`] for metadata or a retention policy before
    /// 2025-03-15; [`ChatError::Request`] when the request fails;
    /// [`ChatError::InvalidResponse`] when the answer has no usable thread.
    pub async fn create_chat_thread(
        &self,
        options: CreateChatThreadOptions,
    ) -> Result<CreateChatThreadResult, ChatError> {
        let operation = ChatOperation::CreateChatThread;
        if options.topic.trim().is_empty() {
            return Err(ChatError::InvalidArgument {
                argument: "topic",
                reason: "must not be empty",
            });
        }
        let pipeline = &*self.pipeline;
        if !options.metadata.is_empty() {
            pipeline.require(API_VERSION_2025_03_15, "thread metadata")?;
        }
        if options.retention_policy.is_some() {
            pipeline.require(API_VERSION_2025_03_15, "a retention policy")?;
        }
        pipeline.check_participants(&options.participants)?;
        crate::thread_client::check_policy(options.retention_policy.as_ref())?;
        let repeatability_id = match options.idempotency_token {
            Some(token) if token.trim().is_empty() => {
                return Err(ChatError::InvalidArgument {
                    argument: "idempotency_token",
                    reason: "must not be empty",
                });
            }
            Some(token) => token,
            None => uuid::Uuid::new_v4().to_string(),
        };
        let body = CreateChatThreadRequest {
            topic: &options.topic,
            participants: &options.participants,
            metadata: &options.metadata,
            retention_policy: options.retention_policy.as_ref(),
        };
        let mut call =
            Call::new(operation, Method::POST, pipeline.url("/chat/threads")).json(&body)?;
        call.repeatability_id = Some(repeatability_id);
        let (answer, response): (CreateChatThreadResponse, _) = pipeline.send_json(&call).await?;
        if answer.chat_thread.id.trim().is_empty() {
            return Err(Pipeline::invalid(
                operation,
                &response,
                "the created thread has an empty id",
            ));
        }
        let failed_participants = answer
            .invalid_participants
            .into_iter()
            .map(|error| FailedParticipant::pair(error, &options.participants))
            .collect();
        Ok(CreateChatThreadResult {
            thread: answer.chat_thread,
            failed_participants,
        })
    }

    /// The threads the user is (or was) in (`GET /chat/threads`), as a stream of items;
    /// [`by_page`](ChatItems::by_page) for pages. Takes `max_page_size` and `start_time`.
    pub fn list_chat_threads(&self, options: ListOptions) -> ChatItems<ChatThreadItem> {
        paging::list(
            Arc::clone(&self.pipeline),
            ChatOperation::ListChatThreads,
            "/chat/threads",
            options,
            Takes::StartTime,
        )
    }

    /// Deletes a thread (`DELETE /chat/threads/{id}`).
    ///
    /// # Errors
    /// [`ChatError::InvalidArgument`] for an empty id; [`ChatError::Request`] when the request
    /// fails.
    pub async fn delete_chat_thread(&self, thread_id: &str) -> Result<(), ChatError> {
        if thread_id.trim().is_empty() {
            return Err(ChatError::InvalidArgument {
                argument: "thread_id",
                reason: "must not be empty",
            });
        }
        let pipeline = &*self.pipeline;
        let url = pipeline.url(&format!("/chat/threads/{}", segment(thread_id)));
        pipeline
            .send(&Call::new(
                ChatOperation::DeleteChatThread,
                Method::DELETE,
                url,
            ))
            .await
            .map(drop)
    }
}

impl Pipeline {
    /// Refuses an option the configured api-version does not have.
    pub(crate) fn require(
        &self,
        version: &'static str,
        option: &'static str,
    ) -> Result<(), ChatError> {
        // api-versions are dates (`2024-03-07`, `2023-11-15-preview`): compare the date part.
        let date = self.api_version.get(..10).unwrap_or(&self.api_version);
        if date < version {
            return Err(ChatError::UnsupportedByApiVersion {
                option,
                required: version,
                api_version: self.api_version.clone(),
            });
        }
        Ok(())
    }

    pub(crate) fn check_participants(
        &self,
        participants: &[crate::models::ChatParticipant],
    ) -> Result<(), ChatError> {
        if participants.iter().any(|p| !p.metadata.is_empty()) {
            self.require(API_VERSION_2025_03_15, "participant metadata")?;
        }
        if participants
            .iter()
            .any(|p| p.identifier.raw_id().trim().is_empty())
        {
            return Err(ChatError::InvalidArgument {
                argument: "participants",
                reason: "a participant has an empty identifier",
            });
        }
        Ok(())
    }
}

/// Builds a [`ChatClient`].
pub struct ChatClientBuilder {
    endpoint: String,
    credential: CommunicationTokenCredential,
    api_version: String,
    http: HttpClientOptions,
}

impl fmt::Debug for ChatClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The endpoint is not validated yet and could hold user-info credentials.
        f.debug_struct("ChatClientBuilder")
            .field("api_version", &self.api_version)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl ChatClientBuilder {
    /// The `api-version` to send (default [`DEFAULT_API_VERSION`], `2024-03-07`;
    /// [`API_VERSION_2025_03_15`] adds thread metadata and retention policies).
    pub fn api_version(mut self, api_version: impl Into<String>) -> Self {
        self.api_version = api_version.into();
        self
    }

    /// Sends through `http` (to share its connection pool with other clients). Its retry
    /// policy applies unless [`retry_policy`](Self::retry_policy) is also set; its timeouts
    /// apply and [`request_timeout`](Self::request_timeout) is ignored.
    pub fn http_client(mut self, http: HttpClient) -> Self {
        self.http = self.http.http_client(http);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]: 3 retries, exponential delays from
    /// 0.8 s, a 120 s total bound).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.http = self.http.retry_policy(policy);
        self
    }

    /// The timeout of each attempt (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.http = self.http.request_timeout(timeout);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`ChatError::Endpoint`] for an unusable endpoint, [`ChatError::InvalidArgument`] for an
    /// empty api-version, [`ChatError::HttpClient`] when the HTTP client cannot be built.
    pub fn build(self) -> Result<ChatClient, ChatError> {
        let endpoint = Endpoint::parse(&self.endpoint).map_err(ChatError::Endpoint)?;
        if self.api_version.trim().is_empty() {
            return Err(ChatError::InvalidArgument {
                argument: "api_version",
                reason: "must not be empty",
            });
        }
        let http = self.http.build().map_err(ChatError::HttpClient)?;
        Ok(ChatClient {
            pipeline: Arc::new(Pipeline {
                endpoint,
                http,
                credential: self.credential,
                api_version: self.api_version.trim().to_owned(),
            }),
        })
    }
}
