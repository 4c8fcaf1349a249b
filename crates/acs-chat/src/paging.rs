//! Paged lists: a stream of items, a stream of pages, continuation tokens.

use std::collections::HashSet;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream::{BoxStream, Stream, StreamExt};
use http::Method;
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{ChatError, ChatOperation};
use crate::options::ListOptions;
use crate::pipeline::{Call, Pipeline};
use crate::wire::{Collection, format_time};

/// One page of a list, with the token that resumes the list after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatPage<T> {
    items: Vec<T>,
    continuation_token: Option<String>,
}

impl<T> ChatPage<T> {
    /// The page's items.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The page's items, owned.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }

    /// Resumes the list after this page (pass it to
    /// [`ListOptions::continuation_token`]); `None` on the last page. It is the service's
    /// `nextLink`: a URL of the endpoint, not a secret.
    pub fn continuation_token(&self) -> Option<&str> {
        self.continuation_token.as_deref()
    }
}

/// A list, page by page: a [`Stream`] of [`ChatPage`]s. It ends after the last page, or after
/// the first error.
///
/// ```no_run
/// # async fn run(thread: acs_chat::ChatThreadClient) -> Result<(), acs_chat::ChatError> {
/// use futures::TryStreamExt;
/// use acs_chat::ListOptions;
///
/// let mut pages = thread.list_messages(ListOptions::new().max_page_size(50)).by_page();
/// while let Some(page) = pages.try_next().await? {
///     println!("{} messages; resume with {:?}", page.items().len(), page.continuation_token());
/// }
/// # Ok(()) }
/// ```
pub struct ChatPages<T> {
    inner: BoxStream<'static, Result<ChatPage<T>, ChatError>>,
}

impl<T> fmt::Debug for ChatPages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatPages").finish_non_exhaustive()
    }
}

impl<T> Stream for ChatPages<T> {
    type Item = Result<ChatPage<T>, ChatError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

/// A list, item by item: a [`Stream`] of `T` that fetches the next page when the current one is
/// used up. [`by_page`](Self::by_page) gives the pages instead.
///
/// ```no_run
/// # async fn run(thread: acs_chat::ChatThreadClient) -> Result<(), acs_chat::ChatError> {
/// use futures::TryStreamExt;
/// use acs_chat::ListOptions;
///
/// let mut messages = thread.list_messages(ListOptions::new());
/// while let Some(message) = messages.try_next().await? {
///     println!("{}: {:?}", message.sequence_id, message.text());
/// }
/// # Ok(()) }
/// ```
pub struct ChatItems<T> {
    pages: ChatPages<T>,
    buffer: std::vec::IntoIter<T>,
}

impl<T> ChatItems<T> {
    /// The rest of the list as pages. Items of the current page not yet taken are dropped, so
    /// call it before taking any.
    pub fn by_page(self) -> ChatPages<T> {
        self.pages
    }
}

impl<T> fmt::Debug for ChatItems<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatItems")
            .field("buffered", &self.buffer.len())
            .finish_non_exhaustive()
    }
}

impl<T: Unpin> Stream for ChatItems<T> {
    type Item = Result<T, ChatError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match std::task::ready!(this.pages.poll_next_unpin(cx)) {
                Some(Ok(page)) => this.buffer = page.items.into_iter(),
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => return Poll::Ready(None),
            }
        }
    }
}

/// Which query options an operation takes.
#[derive(Clone, Copy)]
pub(crate) enum Takes {
    StartTime,
    Skip,
}

/// The list of `path` with `options`, fetched lazily.
pub(crate) fn list<T>(
    pipeline: Arc<Pipeline>,
    operation: ChatOperation,
    path: &str,
    options: ListOptions,
    takes: Takes,
) -> ChatItems<T>
where
    T: DeserializeOwned + Send + 'static,
{
    let first = first_url(&pipeline, path, options, takes);
    // The URLs asked for so far: a nextLink back to one of them would loop forever.
    let requested = HashSet::new();
    let inner =
        futures::stream::try_unfold((Some(first), requested), move |(next, mut requested)| {
            let pipeline = Arc::clone(&pipeline);
            async move {
                let Some(url) = next else {
                    return Ok(None);
                };
                let url = url?;
                requested.insert(url.clone());
                let call = Call::new(operation, Method::GET, url);
                let (collection, response): (Collection<T>, _) = pipeline.send_json(&call).await?;
                // A bad nextLink fails the list when the next page is asked for, so the items of
                // this page are still delivered.
                let next = collection
                    .next_link
                    .filter(|link| !link.trim().is_empty())
                    .map(|link| match pipeline.resolve_link(&link) {
                        // Following it would ask for the same pages forever.
                        Ok(next) if requested.contains(&next) => Err(Pipeline::invalid(
                            operation,
                            &response,
                            "the nextLink repeats a request of this list",
                        )),
                        Ok(next) => Ok(next),
                        Err(reason) => Err(Pipeline::invalid(operation, &response, reason)),
                    });
                let page = ChatPage {
                    items: collection.value,
                    continuation_token: match &next {
                        Some(Ok(url)) => Some(url.as_str().to_owned()),
                        _ => None,
                    },
                };
                Ok(Some((page, (next, requested))))
            }
        })
        .boxed();
    ChatItems {
        pages: ChatPages { inner },
        buffer: Vec::new().into_iter(),
    }
}

fn first_url(
    pipeline: &Pipeline,
    path: &str,
    options: ListOptions,
    takes: Takes,
) -> Result<Url, ChatError> {
    let ListOptions {
        max_page_size,
        start_time,
        skip,
        continuation_token,
    } = options;
    if let Some(token) = continuation_token {
        return pipeline
            .resolve_link(&token)
            .map_err(|reason| ChatError::InvalidArgument {
                argument: "continuation_token",
                reason,
            });
    }
    if max_page_size == Some(0) {
        return Err(ChatError::InvalidArgument {
            argument: "max_page_size",
            reason: "must be at least 1",
        });
    }
    let mut url = pipeline.url(path);
    {
        let mut query = url.query_pairs_mut();
        if let Some(size) = max_page_size {
            query.append_pair("maxPageSize", &size.to_string());
        }
        match (takes, start_time, skip) {
            (Takes::StartTime, Some(at), _) => {
                let text = format_time(at).ok_or(ChatError::InvalidArgument {
                    argument: "start_time",
                    reason: "must be within the years 0 to 9999",
                })?;
                query.append_pair("startTime", &text);
            }
            (Takes::Skip, _, Some(skip)) => {
                query.append_pair("skip", &skip.to_string());
            }
            (Takes::StartTime, _, Some(_)) => {
                return Err(ChatError::InvalidArgument {
                    argument: "skip",
                    reason: "this list takes start_time, not skip",
                });
            }
            (Takes::Skip, Some(_), _) => {
                return Err(ChatError::InvalidArgument {
                    argument: "start_time",
                    reason: "this list takes skip, not start_time",
                });
            }
            _ => {}
        }
    }
    Ok(url)
}

impl Pipeline {
    /// The URL a `nextLink` (or a continuation token) asks for.
    ///
    /// Absolute links must be on the endpoint's scheme, host and port (the request carries the
    /// caller's token, which must not go anywhere else); relative ones are appended to the
    /// endpoint. A link without `api-version` gets the client's.
    pub(crate) fn resolve_link(&self, link: &str) -> Result<Url, &'static str> {
        let link = link.trim();
        let mut url = match Url::parse(link) {
            Ok(url) => {
                let endpoint = self.endpoint.url();
                if url.scheme() != endpoint.scheme()
                    || url.host_str() != endpoint.host_str()
                    || url.port_or_known_default() != endpoint.port_or_known_default()
                {
                    return Err("the link is not on the client's endpoint (scheme, host and port)");
                }
                if !url.username().is_empty() || url.password().is_some() {
                    return Err("the link carries a user name or password");
                }
                url
            }
            Err(url::ParseError::RelativeUrlWithoutBase) if link.starts_with('/') => {
                let (path, query) = match link.split_once('?') {
                    Some((path, query)) => (path, Some(query)),
                    None => (link, None),
                };
                let mut url = self.endpoint.url_for(path);
                url.set_query(query);
                url
            }
            Err(_) => return Err("the link is not a URL"),
        };
        url.set_fragment(None);
        if !url.query_pairs().any(|(name, _)| name == "api-version") {
            url.query_pairs_mut()
                .append_pair("api-version", &self.api_version);
        }
        Ok(url)
    }
}
