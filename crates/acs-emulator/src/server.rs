//! The HTTP/1.1 server loop: accepts connections, serves each with hyper under a header-read
//! timeout and an idle timeout, and stops gracefully within a deadline.

use std::future::Future as _;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// How connections are held to time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    /// From the first byte of a request (or the connection's start) to its last header line.
    pub(crate) header_read: Duration,
    /// From a request's headers to the end of its body, on every route.
    pub(crate) body_read: Duration,
    /// How long a connection may stay without a byte in either direction while no request on
    /// it is being answered.
    pub(crate) idle: Duration,
    /// How long a stop waits for requests in flight before dropping their connections.
    pub(crate) shutdown: Duration,
}

/// Serves `router` on `listener` until `stop` fires (or its sender is dropped); then stops
/// accepting, lets requests in flight finish for at most `timeouts.shutdown`, and drops
/// whatever connections are still open.
pub(crate) async fn serve<L>(
    mut listener: L,
    router: axum::Router,
    mut stop: oneshot::Receiver<()>,
    timeouts: Timeouts,
) where
    L: axum::serve::Listener,
    L::Io: Unpin,
{
    let mut connections = JoinSet::new();
    let (draining, drain) = watch::channel(false);
    loop {
        tokio::select! {
            (io, _peer) = listener.accept() => {
                let service = TowerToHyperService::new(router.clone());
                connections.spawn(serve_connection(io, service, drain.clone(), timeouts));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = &mut stop => break,
        }
    }
    drop(listener);
    let _ = draining.send(true);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(timeouts.shutdown, drained)
        .await
        .is_err()
    {
        tracing::debug!(
            open = connections.len(),
            "acs-emulator: shutdown deadline passed; dropping open connections"
        );
    }
    connections.abort_all();
    // Wait for the aborted tasks to be dropped: once this returns, nothing holds the router
    // (and with it the data directory's database) any more.
    while connections.join_next().await.is_some() {}
}

async fn serve_connection<I>(
    io: I,
    service: TowerToHyperService<axum::Router>,
    mut drain: watch::Receiver<bool>,
    timeouts: Timeouts,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked {
        inner: io,
        activity: Arc::clone(&activity),
    });
    let counted = {
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |request: http::Request<Incoming>| {
            let guard = InFlight::enter(Arc::clone(&activity));
            let request = request.map(|body| TimedBody::new(body, timeouts.body_read));
            let answer = hyper::service::Service::call(&service, request);
            async move {
                let answer = answer.await;
                drop(guard);
                answer
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read)
        .keep_alive(true);
    let connection = builder.serve_connection(io, counted);
    tokio::pin!(connection);
    let mut draining = *drain.borrow();
    if draining {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        let idle_deadline = activity.last() + timeouts.idle;
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "acs-emulator: connection ended with an error");
                }
                return;
            }
            changed = drain.changed(), if !draining => {
                draining = true;
                if changed.is_ok() {
                    connection.as_mut().graceful_shutdown();
                }
            }
            () = tokio::time::sleep_until(idle_deadline) => {
                if activity.is_idle(timeouts.idle) {
                    tracing::debug!("acs-emulator: closing an idle connection");
                    return;
                }
            }
        }
    }
}

/// The body did not arrive within the body-read timeout.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub(crate) struct BodyTimedOut;

/// A request body that fails with [`BodyTimedOut`] unless it is complete by its deadline, so
/// a client that sends half a body cannot hold a handler (and its connection) for good.
struct TimedBody {
    inner: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl TimedBody {
    fn new(inner: Incoming, within: Duration) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep(within)),
        }
    }
}

impl hyper::body::Body for TimedBody {
    type Data = hyper::body::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// When a connection last moved a byte, and how many of its requests are being answered.
#[derive(Debug)]
struct Activity {
    start: Instant,
    /// Milliseconds from `start` to the last read or write.
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let elapsed = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(elapsed, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    fn is_idle(&self, idle: Duration) -> bool {
        self.in_flight.load(Ordering::Relaxed) == 0 && self.last().elapsed() >= idle
    }
}

/// Counts a request as in flight until dropped (also when its future is dropped unfinished).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn enter(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// An I/O object that notes each read or write that moved bytes.
struct Tracked<I> {
    inner: I,
    activity: Arc<Activity>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Tracked<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Tracked<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(written)) if written > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(written)) if written > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
