//! Chat throughput against the in-process emulator: 2 000 messages sent by 1 or 32 concurrent
//! senders, and the same 2 000 listed back at 100 per page. Divan reports items (messages) per
//! second; the numbers include the client (JSON, bearer token, retries machinery), loopback HTTP
//! and the emulator.

use acs_chat::{
    ChatClient, ChatParticipant, ChatThreadClient, CommunicationTokenCredential,
    CreateChatThreadOptions, ListOptions,
};
use acs_emulator::{Emulator, RunningEmulator};
use acs_identity::{CommunicationIdentityClient, CommunicationTokenScope};
use divan::counter::ItemsCount;
use futures::TryStreamExt;

const MESSAGES: usize = 2_000;

fn main() {
    divan::main();
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    chat: ChatClient,
    me: ChatParticipant,
    _emulator: RunningEmulator,
}

fn fixture() -> Fixture {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (emulator, chat, me) = runtime.block_on(async {
        let emulator = Emulator::start().await.expect("emulator");
        let identity =
            CommunicationIdentityClient::from_connection_string(&emulator.connection_string())
                .expect("identity client");
        let (user, token) = identity
            .create_user_and_token([CommunicationTokenScope::Chat], None)
            .await
            .expect("user");
        let chat = ChatClient::new(
            emulator.endpoint(),
            CommunicationTokenCredential::from_access_token(token),
        )
        .expect("chat client");
        (emulator, chat, ChatParticipant::new(user))
    });
    Fixture {
        runtime,
        chat,
        me,
        _emulator: emulator,
    }
}

impl Fixture {
    fn new_thread(&self) -> ChatThreadClient {
        self.runtime.block_on(async {
            let created = self
                .chat
                .create_chat_thread(
                    CreateChatThreadOptions::new("bench").participant(self.me.clone()),
                )
                .await
                .expect("thread");
            self.chat
                .chat_thread_client(created.thread.id)
                .expect("thread client")
        })
    }
}

/// Sends `MESSAGES` messages with `senders` tasks, each sending its share one after another.
async fn send_all(thread: &ChatThreadClient, senders: usize) {
    let tasks: Vec<_> = (0..senders)
        .map(|sender| {
            let thread = thread.clone();
            let count = MESSAGES / senders + usize::from(sender < MESSAGES % senders);
            tokio::spawn(async move {
                for n in 0..count {
                    thread
                        .send_message(format!("message {n} from sender {sender}"))
                        .await
                        .expect("sent");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("sender task");
    }
}

#[divan::bench(args = [1, 32], sample_count = 5, sample_size = 1)]
fn send_2000_messages(bencher: divan::Bencher<'_, '_>, senders: usize) {
    let fixture = fixture();
    bencher
        .counter(ItemsCount::new(MESSAGES))
        .with_inputs(|| fixture.new_thread())
        .bench_local_refs(|thread| fixture.runtime.block_on(send_all(thread, senders)));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn list_2000_messages_100_per_page(bencher: divan::Bencher<'_, '_>) {
    let fixture = fixture();
    let thread = fixture.new_thread();
    fixture.runtime.block_on(send_all(&thread, 32));
    bencher.counter(ItemsCount::new(MESSAGES)).bench_local(|| {
        let messages: Vec<_> = fixture
            .runtime
            .block_on(
                thread
                    .list_messages(ListOptions::new().max_page_size(100))
                    .try_collect::<Vec<_>>(),
            )
            .expect("messages");
        assert!(messages.len() >= MESSAGES);
        messages
    });
}
