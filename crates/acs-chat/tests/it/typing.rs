//! Typing notifications are throttled as the JS SDK does: one per 8 s, reset by sending a
//! message; a failed one does not start the interval. Under tokio's paused clock.

use std::time::Duration;

use acs_chat::TYPING_NOTIFICATION_INTERVAL;
use acs_http::test_util::{Reply, TestServer};
use serde_json::json;

use crate::common::thread;

#[tokio::test(start_paused = true)]
async fn a_second_notification_within_eight_seconds_is_skipped() {
    let server = TestServer::start().await;
    server.respond_with(|_| Reply::status(200));
    let thread = thread(&server);
    let clone = thread.clone();

    assert!(thread.send_typing_notification(None).await.unwrap());
    assert!(!thread.send_typing_notification(None).await.unwrap());
    assert!(
        !clone.send_typing_notification(None).await.unwrap(),
        "clones share the throttle"
    );
    tokio::time::advance(TYPING_NOTIFICATION_INTERVAL - Duration::from_millis(1)).await;
    assert!(!thread.send_typing_notification(None).await.unwrap());
    tokio::time::advance(Duration::from_millis(1)).await;
    assert!(thread.send_typing_notification(None).await.unwrap());

    assert_eq!(server.request_count(), 2);
    assert_eq!(TYPING_NOTIFICATION_INTERVAL, Duration::from_secs(8));
}

#[tokio::test(start_paused = true)]
async fn sending_a_message_resets_the_interval() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(200));
    server.enqueue(Reply::json(201, json!({"id": "1"})));
    server.enqueue(Reply::status(200));
    let thread = thread(&server);

    assert!(thread.send_typing_notification(None).await.unwrap());
    thread.send_message("hi").await.unwrap();
    assert!(thread.send_typing_notification(None).await.unwrap());

    assert_eq!(server.request_count(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_failed_notification_does_not_start_the_interval() {
    let server = TestServer::start().await;
    server.enqueue(Reply::acs_error(403, "Forbidden", "not a participant"));
    server.enqueue(Reply::status(200));
    let thread = thread(&server);

    assert!(thread.send_typing_notification(None).await.is_err());
    assert!(thread.send_typing_notification(None).await.unwrap());

    assert_eq!(server.request_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn each_thread_client_has_its_own_throttle() {
    let server = TestServer::start().await;
    server.respond_with(|_| Reply::status(200));

    assert!(
        thread(&server)
            .send_typing_notification(None)
            .await
            .unwrap()
    );
    assert!(
        thread(&server)
            .send_typing_notification(None)
            .await
            .unwrap()
    );

    assert_eq!(server.request_count(), 2);
}
