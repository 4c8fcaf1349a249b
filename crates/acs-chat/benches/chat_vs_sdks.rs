//! `acs-chat`'s side of `cargo xtask chat-bench`, which runs the official JS and Python chat
//! clients against the same emulator: for 1 and then 32 concurrent senders, creates a thread,
//! sends 2 000 messages in all (each sender its share, one after another), lists the thread's
//! messages with one caller at 100 per page, checks all 2 000 came back, and prints one JSON
//! line with the timings.
//!
//! Reads the emulator's connection string from `COMMUNICATION_SERVICES_CONNECTION_STRING` and
//! the PEM certificate to trust from `ACS_EMULATOR_CERT_FILE` (the TLS mode's self-signed one,
//! verified, never ignored). Without them (as under `cargo bench`) it says so and does nothing.

use std::str::FromStr;
use std::time::{Duration, Instant};

use acs_chat::{
    ChatClient, ChatMessageType, ChatParticipant, ChatThreadClient, CommunicationTokenCredential,
    CreateChatThreadOptions, ListOptions, SendChatMessageOptions,
};
use acs_http::HttpClient;
use acs_identity::{AccessKey, CommunicationIdentityClient, CommunicationTokenScope};
use futures::TryStreamExt;

const CONNECTION_STRING_VAR: &str = "COMMUNICATION_SERVICES_CONNECTION_STRING";
const CERT_FILE_VAR: &str = "ACS_EMULATOR_CERT_FILE";
const MESSAGES: usize = 2_000;
const PAGE_SIZE: u32 = 100;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    let (Ok(connection_string), Ok(cert_file)) = (
        std::env::var(CONNECTION_STRING_VAR),
        std::env::var(CERT_FILE_VAR),
    ) else {
        println!(
            "chat_vs_sdks: run by `cargo xtask chat-bench` (needs {CONNECTION_STRING_VAR} and {CERT_FILE_VAR}); skipped"
        );
        return Ok(());
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(bench(&connection_string, &cert_file))
}

async fn bench(connection_string: &str, cert_file: &str) -> Result<(), BoxError> {
    let mut endpoint = None;
    let mut key = None;
    for pair in connection_string.split(';') {
        match pair.split_once('=') {
            Some((name, value)) if name.eq_ignore_ascii_case("endpoint") => endpoint = Some(value),
            Some((name, value)) if name.eq_ignore_ascii_case("accesskey") => key = Some(value),
            _ => {}
        }
    }
    let (Some(endpoint), Some(key)) = (endpoint, key) else {
        return Err(format!("{CONNECTION_STRING_VAR} needs endpoint= and accesskey=").into());
    };
    let certificate = reqwest::Certificate::from_pem(&std::fs::read(cert_file)?)?;
    let builder = HttpClient::builder();
    let reqwest = builder
        .reqwest_builder()
        .add_root_certificate(certificate)
        .build()?;
    let http = builder.reqwest_client(reqwest).build()?;

    let identity = CommunicationIdentityClient::builder(endpoint, AccessKey::from_str(key)?)
        .http_client(http.clone())
        .build()?;
    let (user, token) = identity
        .create_user_and_token([CommunicationTokenScope::Chat], None)
        .await?;
    let chat = ChatClient::builder(
        endpoint,
        CommunicationTokenCredential::from_access_token(token),
    )
    .http_client(http)
    .build()?;
    let me = ChatParticipant::new(user);

    let mut runs = Vec::new();
    for senders in [1, 32] {
        let created = chat
            .create_chat_thread(
                CreateChatThreadOptions::new(format!("bench {senders}")).participant(me.clone()),
            )
            .await?;
        let thread = chat.chat_thread_client(created.thread.id)?;
        let started = Instant::now();
        let mut latencies = send_all(&thread, senders).await?;
        let sent = started.elapsed();
        let started = Instant::now();
        let messages: Vec<_> = thread
            .list_messages(ListOptions::new().max_page_size(PAGE_SIZE))
            .try_collect()
            .await?;
        let listed = started.elapsed();
        let texts = messages
            .iter()
            .filter(|message| message.message_type == ChatMessageType::Text)
            .count();
        if texts != MESSAGES {
            return Err(format!("listed {texts} text messages, want {MESSAGES}").into());
        }
        latencies.sort();
        runs.push(serde_json::json!({
            "senders": senders,
            "send_seconds": sent.as_secs_f64(),
            "list_seconds": listed.as_secs_f64(),
            "listed": texts,
            "send_p50_ms": percentile_ms(&latencies, 50),
            "send_p99_ms": percentile_ms(&latencies, 99),
        }));
    }
    let report = serde_json::json!({
        "client": format!("rust acs-chat {}", env!("CARGO_PKG_VERSION")),
        "runs": runs,
    });
    println!("{report}");
    Ok(())
}

/// Sends `MESSAGES` messages with `senders` tasks, each sending its share one after another;
/// returns each send's latency.
async fn send_all(thread: &ChatThreadClient, senders: usize) -> Result<Vec<Duration>, BoxError> {
    let tasks: Vec<_> = (0..senders)
        .map(|sender| {
            let thread = thread.clone();
            let count = MESSAGES / senders + usize::from(sender < MESSAGES % senders);
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(count);
                for n in 0..count {
                    let started = Instant::now();
                    thread
                        .send_message(SendChatMessageOptions::new(format!(
                            "message {n} from sender {sender}"
                        )))
                        .await?;
                    latencies.push(started.elapsed());
                }
                Ok::<_, acs_chat::ChatError>(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(MESSAGES);
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok(latencies)
}

/// The `percent`th percentile of sorted latencies, in milliseconds.
fn percentile_ms(sorted: &[Duration], percent: usize) -> f64 {
    let index = (sorted.len() * percent / 100).min(sorted.len().saturating_sub(1));
    sorted
        .get(index)
        .map_or(0.0, |latency| latency.as_secs_f64() * 1000.0)
}
