// Chat throughput of the official JavaScript SDK (@azure/communication-chat).
//
// For 1 and then 32 concurrent senders (promises): creates a thread, sends 2 000 messages in all
// (each sender its share, one after another), then lists the thread's messages with one caller
// at 100 per page and checks all 2 000 came back. Prints one JSON line with the timings. Run by
// `cargo xtask chat-bench` against the emulator's TLS mode, whose self-signed certificate
// Node.js trusts through NODE_EXTRA_CA_CERTS (set by the caller).

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { ChatClient } from "@azure/communication-chat";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { CommunicationIdentityClient } from "@azure/communication-identity";

const ENV_VAR = "COMMUNICATION_SERVICES_CONNECTION_STRING";
const MESSAGES = 2000;
const PAGE_SIZE = 100;

function sdkVersion() {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve("@azure/communication-chat/package.json");
  return JSON.parse(readFileSync(manifest, "utf8")).version;
}

async function sendShare(thread, sender, count, latencies) {
  for (let n = 0; n < count; n++) {
    const started = performance.now();
    await thread.sendMessage({ content: `message ${n} from sender ${sender}` });
    latencies.push(performance.now() - started);
  }
}

function percentileMs(latencies, percent) {
  const ordered = [...latencies].sort((a, b) => a - b);
  return ordered[Math.min(Math.floor((ordered.length * percent) / 100), ordered.length - 1)];
}

async function run(chat, user, senders) {
  const created = await chat.createChatThread({ topic: `bench ${senders}` }, {
    participants: [{ id: user }],
  });
  const thread = chat.getChatThreadClient(created.chatThread.id);
  const latencies = [];
  let started = performance.now();
  const shares = [];
  for (let sender = 0; sender < senders; sender++) {
    const count = Math.floor(MESSAGES / senders) + (sender < MESSAGES % senders ? 1 : 0);
    shares.push(sendShare(thread, sender, count, latencies));
  }
  await Promise.all(shares);
  const sent = (performance.now() - started) / 1000;
  started = performance.now();
  let texts = 0;
  for await (const message of thread.listMessages({ maxPageSize: PAGE_SIZE })) {
    if (message.type === "text") texts++;
  }
  const listed = (performance.now() - started) / 1000;
  if (texts !== MESSAGES) throw new Error(`listed ${texts} text messages, want ${MESSAGES}`);
  return {
    senders, send_seconds: sent, list_seconds: listed, listed: texts,
    send_p50_ms: percentileMs(latencies, 50), send_p99_ms: percentileMs(latencies, 99),
  };
}

async function main() {
  const connectionString = process.env[ENV_VAR];
  const endpoint = /endpoint=([^;]*)/i.exec(connectionString ?? "")?.[1] ?? "";
  const identity = new CommunicationIdentityClient(connectionString);
  const { user, token } = await identity.createUserAndToken(["chat"]);
  const chat = new ChatClient(endpoint, new AzureCommunicationTokenCredential(token));
  const runs = [];
  for (const senders of [1, 32]) runs.push(await run(chat, user, senders));
  console.log(JSON.stringify({ client: `js @azure/communication-chat ${sdkVersion()}`, runs }));
}

main().catch((error) => {
  console.error(`js chat bench: FAIL ${error?.stack ?? error}`);
  process.exitCode = 1;
});
