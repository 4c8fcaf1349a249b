//! Chat: the getting-started journey of ACS Chat, in Rust.
//!
//! Two users get chat tokens and auto-refreshing credentials; one creates a thread with the
//! other, adds a third participant (and one that does not exist, to show a partial failure and
//! a retry), lists the participants page by page, and both send and list messages.
//!
//! Offline by default: it starts a local ACS emulator in this process. To run it against a real
//! resource, set `COMMUNICATION_SERVICES_CONNECTION_STRING` to the resource's connection string
//! (`endpoint=https://<resource>.communication.azure.com/;accesskey=<key>`); the example deletes
//! the thread and the users it created at the end.
//!
//! Run it with `cargo run --example chat`.

use std::io::Write;

use acs_common::auth::ConnectionString;
use acs_common::chat::{
    ChatClient, ChatMessage, ChatParticipant, CreateChatThreadOptions, ListOptions,
    SendChatMessageOptions,
};
use acs_common::credential::{CommunicationTokenCredential, CommunicationTokenRefreshOptions};
use acs_common::identifiers::{CommunicationIdentifier, CommunicationUserIdentifier};
use acs_common::identity::{CommunicationIdentityClient, CommunicationTokenScope};
use futures::TryStreamExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut stdout = std::io::stdout();
    match std::env::var("COMMUNICATION_SERVICES_CONNECTION_STRING") {
        Ok(connection_string) if !connection_string.trim().is_empty() => {
            writeln!(
                stdout,
                "acs-common chat example, against the resource of COMMUNICATION_SERVICES_CONNECTION_STRING.\n"
            )?;
            run(&mut stdout, &connection_string).await
        }
        _ => run_offline(&mut stdout).await,
    }
}

/// The journey against an in-process emulator.
pub(crate) async fn run_offline(out: &mut impl Write) -> Result<(), BoxError> {
    let emulator = acs_emulator::Emulator::start().await?;
    writeln!(
        out,
        "acs-common chat example, offline: a local ACS emulator at {}.\n",
        emulator.endpoint()
    )?;
    run(out, &emulator.connection_string()).await
}

/// The journey against the resource of `connection_string`, printing to `out`.
pub(crate) async fn run(out: &mut impl Write, connection_string: &str) -> Result<(), BoxError> {
    // 1. Your token server (which holds the connection string) creates users with chat tokens.
    let endpoint = ConnectionString::parse(connection_string)?
        .endpoint()
        .to_string();
    let identity = CommunicationIdentityClient::from_connection_string(connection_string)?;
    let (ada, ada_token) = identity
        .create_user_and_token([CommunicationTokenScope::Chat], None)
        .await?;
    let (grace, grace_token) = identity
        .create_user_and_token([CommunicationTokenScope::Chat], None)
        .await?;
    let linus = identity.create_user().await?;
    writeln!(
        out,
        "1. Created users Ada ({}) and Grace ({}) with chat tokens, and Linus ({}).",
        ada.id(),
        grace.id(),
        linus.id()
    )?;

    // 2. Each app holds a credential that starts with its token and asks the token server for
    //    a new one before it expires. (`identity.refresher` calls the identity service directly;
    //    a client app would call your token server.)
    let credential = |user: &CommunicationUserIdentifier, token| {
        CommunicationTokenCredential::with_refresh(
            CommunicationTokenRefreshOptions::new(
                identity.refresher(user.clone(), [CommunicationTokenScope::Chat]),
            )
            .initial_token(token),
        )
    };
    let ada_chat = ChatClient::new(&endpoint, credential(&ada, ada_token))?;
    let grace_chat = ChatClient::new(&endpoint, credential(&grace, grace_token))?;
    writeln!(
        out,
        "2. Built a refreshing CommunicationTokenCredential and a ChatClient for each of them."
    )?;

    // 3. Ada creates a thread with herself and Grace.
    let created = ada_chat
        .create_chat_thread(
            CreateChatThreadOptions::new("Lunch plans")
                .participant(ChatParticipant::new(ada.clone()).display_name("Ada"))
                .participant(ChatParticipant::new(grace.clone()).display_name("Grace")),
        )
        .await?;
    let thread_id = created.thread.id.clone();
    writeln!(
        out,
        "3. Ada created the thread \"{}\" ({thread_id}) with Ada and Grace; {} participant(s) not added.",
        created.thread.topic,
        created.failed_participants.len()
    )?;
    let ada_thread = ada_chat.chat_thread_client(thread_id.clone())?;
    let grace_thread = grace_chat.chat_thread_client(thread_id.clone())?;

    // 4. Ada adds Linus, and a user that does not exist: the call succeeds, and the result
    //    lists who was not added and why. Retry those (here it fails again, for good reason).
    let nobody = CommunicationIdentifier::from_raw_id(&format!(
        "{}_00000000-0000-0000-0000-000000000000",
        ada.id()
            .rsplit_once('_')
            .map_or(ada.id(), |(resource, _)| resource)
    ));
    let added = ada_thread
        .add_participants([
            ChatParticipant::new(linus.clone()).display_name("Linus"),
            ChatParticipant::new(nobody).display_name("Nobody"),
        ])
        .await?;
    writeln!(
        out,
        "4. Ada added Linus and Nobody: {} not added.",
        added.failed_participants.len()
    )?;
    for failed in &added.failed_participants {
        writeln!(
            out,
            "   not added: {} ({} {})",
            failed.target.as_deref().unwrap_or("?"),
            failed.code().unwrap_or("?"),
            failed.message().unwrap_or("")
        )?;
    }
    let retry = added.retry_list();
    if !retry.is_empty() {
        let again = ada_thread.add_participants(retry.clone()).await?;
        writeln!(
            out,
            "   retried {} participant(s): {} added, {} still not added.",
            retry.len(),
            retry.len() - again.failed_participants.len(),
            again.failed_participants.len()
        )?;
    }

    // 5. The participants, two per page.
    writeln!(out, "5. Participants, 2 per page:")?;
    let mut pages = ada_thread
        .list_participants(ListOptions::new().max_page_size(2))
        .by_page();
    let mut number = 0;
    while let Some(page) = pages.try_next().await? {
        number += 1;
        let names: Vec<&str> = page
            .items()
            .iter()
            .map(|p| p.display_name.as_deref().unwrap_or("(no name)"))
            .collect();
        writeln!(out, "   page {number}: {}", names.join(", "))?;
    }

    // 6. Both send messages: text with a display name, and HTML.
    ada_thread
        .send_message(
            SendChatMessageOptions::new("Noon at the usual place?").sender_display_name("Ada"),
        )
        .await?;
    grace_thread
        .send_message(SendChatMessageOptions::new("Sounds good!").sender_display_name("Grace"))
        .await?;
    ada_thread
        .send_message(
            SendChatMessageOptions::new("<b>See you there</b>")
                .html()
                .sender_display_name("Ada"),
        )
        .await?;
    writeln!(out, "6. Ada and Grace sent 3 messages.")?;

    // 7. Grace lists the thread's messages, newest first, system messages included.
    writeln!(out, "7. Grace lists the messages, newest first:")?;
    let messages: Vec<ChatMessage> = grace_thread
        .list_messages(ListOptions::new().max_page_size(3))
        .try_collect()
        .await?;
    for message in &messages {
        writeln!(out, "   {}", describe(message))?;
    }

    // 8. Clean up.
    ada_chat.delete_chat_thread(&thread_id).await?;
    for user in [&ada, &grace, &linus] {
        identity.delete_user(user).await?;
    }
    writeln!(out, "8. Deleted the thread and the three users.")?;
    Ok(())
}

/// `#5 Ada (text): Sounds good!` or `#1 participantAdded: Ada, Grace`.
fn describe(message: &ChatMessage) -> String {
    let sequence = &message.sequence_id;
    let kind = &message.message_type;
    let content = message.content.clone().unwrap_or_default();
    if message.message_type.is_system() {
        let detail = match (&content.topic, content.participants.is_empty()) {
            (Some(topic), _) => format!("\"{topic}\""),
            (None, false) => content
                .participants
                .iter()
                .map(|p| p.display_name.as_deref().unwrap_or("(no name)"))
                .collect::<Vec<_>>()
                .join(", "),
            (None, true) => String::new(),
        };
        return format!("#{sequence} {kind}: {detail}");
    }
    format!(
        "#{sequence} {} ({kind}): {}",
        message.sender_display_name.as_deref().unwrap_or("?"),
        message.text().unwrap_or("")
    )
}
