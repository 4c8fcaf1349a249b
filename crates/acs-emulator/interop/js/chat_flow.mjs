// The ACS Chat flow, run with the official JavaScript SDK (@azure/communication-chat), unchanged.
//
// Reads the connection string from COMMUNICATION_SERVICES_CONNECTION_STRING (an https endpoint:
// the SDK refuses bearer tokens over http), makes two users with the official identity SDK, and
// runs every chat operation: create (with a second user, a display name and a share-history
// time), get, rename, send, the second user lists by page (page size 2, system messages, newest
// first), get/edit/delete a message, list participants by page, add an unknown user (exactly one
// invalid participant, targeted at it), remove the second user (who then gets 403), typing, read
// receipt and receipts list, list threads, delete the thread, and a token with a forged signature
// (401). Prints one line per step and exits non-zero at the first mismatch. Used by
// `cargo xtask interop` against the emulator's TLS mode, whose self-signed certificate Node.js
// trusts through NODE_EXTRA_CA_CERTS (set by the caller); it works unchanged against a real ACS
// resource.

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { ChatClient } from "@azure/communication-chat";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { CommunicationIdentityClient } from "@azure/communication-identity";

const ENV_VAR = "COMMUNICATION_SERVICES_CONNECTION_STRING";
const SHARE_HISTORY_TIME = new Date("2020-01-01T00:00:00.000Z");

class Mismatch extends Error {}

function step(name, detail = "") {
  console.log(`js chat: ok   ${name}${detail ? ": " + detail : ""}`);
}

function check(condition, message) {
  if (!condition) throw new Mismatch(message);
}

function sdkVersion() {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve("@azure/communication-chat/package.json");
  return JSON.parse(readFileSync(manifest, "utf8")).version;
}

async function expectStatus(label, status, operation) {
  try {
    await operation();
  } catch (error) {
    check(error.statusCode === status, `${label} gave ${error.statusCode ?? error}, want ${status}`);
    step(label, `${status} ${error.code ?? ""}`);
    return;
  }
  throw new Mismatch(`${label} succeeded, want ${status}`);
}

async function collectPages(iterator) {
  const pages = [];
  for await (const page of iterator) {
    pages.push(page);
  }
  return pages;
}

async function main() {
  const connectionString = process.env[ENV_VAR];
  if (!connectionString) {
    console.error(`js chat: FAIL ${ENV_VAR} is not set`);
    return 2;
  }
  const endpoint = /endpoint=([^;]*)/i.exec(connectionString)?.[1] ?? "";
  check(endpoint.toLowerCase().startsWith("https://"),
    `the chat flow needs an https endpoint (the SDK refuses bearer tokens over http): ${endpoint}`);
  step("setup", `@azure/communication-chat ${sdkVersion()}, endpoint ${endpoint}`);

  const identity = new CommunicationIdentityClient(connectionString);
  const { user: userA, token: tokenA } = await identity.createUserAndToken(["chat"]);
  const { user: userB, token: tokenB } = await identity.createUserAndToken(["chat"]);
  step("users", `${userA.communicationUserId}, ${userB.communicationUserId}`);

  const chatA = new ChatClient(endpoint, new AzureCommunicationTokenCredential(tokenA));
  const chatB = new ChatClient(endpoint, new AzureCommunicationTokenCredential(tokenB));

  // Create, with a second user, a display name and a share-history time.
  const created = await chatA.createChatThread(
    { topic: "chat check" },
    {
      participants: [
        { id: userA, displayName: "User A" },
        { id: userB, displayName: "User B", shareHistoryTime: SHARE_HISTORY_TIME },
      ],
      idempotencyToken: randomUUID(),
    },
  );
  check(created.invalidParticipants === undefined,
    `create reported invalid participants: ${JSON.stringify(created.invalidParticipants)}`);
  const threadId = created.chatThread.id;
  check(threadId.startsWith("19:") && threadId.endsWith("@thread.v2"), `thread id ${threadId}`);
  check(created.chatThread.createdBy.communicationUserId === userA.communicationUserId,
    `createdBy ${JSON.stringify(created.chatThread.createdBy)}`);
  step("createChatThread", threadId);

  const threadA = chatA.getChatThreadClient(threadId);
  const threadB = chatB.getChatThreadClient(threadId);

  const properties = await threadB.getProperties();
  check(properties.id === threadId && properties.topic === "chat check",
    `getProperties gave ${properties.id} ${properties.topic}`);
  check(properties.createdOn instanceof Date && !Number.isNaN(properties.createdOn.getTime()),
    `createdOn ${properties.createdOn}`);
  step("getProperties", `topic ${properties.topic}, created ${properties.createdOn.toISOString()}`);

  await threadA.updateTopic("renamed");
  check((await threadB.getProperties()).topic === "renamed", "the topic did not change");
  await threadA.updateProperties({ metadata: { purpose: "interop" } });
  const withMetadata = await threadB.getProperties();
  check(withMetadata.metadata?.purpose === "interop", `metadata ${JSON.stringify(withMetadata.metadata)}`);
  step("updateTopic / updateProperties", "renamed; metadata set (api-version 2025-03-15)");

  const sent = await threadA.sendMessage(
    { content: "hi" },
    { senderDisplayName: "User A", metadata: { k: "v" } },
  );
  const messageId = sent.id;
  check(/^\d+$/.test(messageId), `message id ${messageId}`);
  const second = await threadB.sendMessage({ content: "hello" }, { senderDisplayName: "User B" });
  step("sendMessage", `${messageId}, ${second.id}`);

  // The second user lists by page of 2: newest first, system messages included.
  const pages = await collectPages(threadB.listMessages({ maxPageSize: 2 }).byPage());
  const sizes = pages.map((page) => page.length);
  check(sizes[0] === 2 && sizes.every((size) => size <= 2), `page sizes ${sizes}`);
  const messages = pages.flat();
  const sequences = messages.map((message) => Number(message.sequenceId));
  check(sequences.every((value, index) => index === 0 || value < sequences[index - 1]),
    `sequence ids not strictly descending: ${sequences}`);
  const types = messages.map((message) => message.type);
  check(types[0] === "text" && types[1] === "text", `types ${types}`);
  check(types.includes("topicUpdated") && types.includes("participantAdded"), `no system messages in ${types}`);
  const newest = messages[0];
  check(newest.content.message === "hello" && newest.senderDisplayName === "User B",
    `newest ${newest.content.message} by ${newest.senderDisplayName}`);
  check(newest.sender.communicationUserId === userB.communicationUserId, "newest sender");
  const added = messages.find((message) => message.type === "participantAdded");
  check(added.sender === undefined, "a system message has a sender");
  const addedIds = added.content.participants.map((p) => p.id.communicationUserId).sort();
  check(JSON.stringify(addedIds) === JSON.stringify([userA.communicationUserId, userB.communicationUserId].sort()),
    `participantAdded lists ${addedIds}`);
  check(added.content.initiator.communicationUserId === userA.communicationUserId, "initiator");
  const sharedB = added.content.participants.find((p) => p.id.communicationUserId === userB.communicationUserId);
  check(sharedB.shareHistoryTime?.getTime() === SHARE_HISTORY_TIME.getTime(),
    `shareHistoryTime ${sharedB.shareHistoryTime}`);
  const topics = messages.filter((m) => m.type === "topicUpdated").map((m) => m.content.topic);
  check(JSON.stringify(topics) === JSON.stringify(["renamed", "chat check"]), `topicUpdated topics ${topics}`);
  step("listMessages by page of 2", `pages ${sizes}, sequence ids ${sequences}, types ${types.join(", ")}`);

  // Get, edit, delete a message.
  const got = await threadB.getMessage(messageId);
  check(got.content.message === "hi" && got.metadata?.k === "v", `getMessage ${got.content?.message}`);
  check(got.version === messageId, `version ${got.version} != id ${messageId}`);
  await threadA.updateMessage(messageId, { content: "edited" });
  const edited = await threadB.getMessage(messageId);
  check(edited.content.message === "edited" && edited.editedOn instanceof Date,
    `after update ${edited.content?.message}, editedOn ${edited.editedOn}`);
  check(BigInt(edited.version) > BigInt(messageId), `version ${edited.version} after edit`);
  check(edited.sequenceId === got.sequenceId, "sequence id changed on edit");
  await threadA.deleteMessage(messageId);
  const deleted = await threadB.getMessage(messageId);
  check(deleted.deletedOn instanceof Date, "deletedOn not set");
  step("getMessage / updateMessage / deleteMessage",
    `version ${got.version} -> ${edited.version}, deletedOn ${deleted.deletedOn.toISOString()}`);

  // Participants by page.
  const participantPages = await collectPages(threadB.listParticipants({ maxPageSize: 1 }).byPage());
  check(JSON.stringify(participantPages.map((page) => page.length)) === "[1,1]",
    `participant pages ${participantPages.map((page) => page.length)}`);
  const names = participantPages.flat().map((p) => p.displayName);
  check(JSON.stringify(names) === JSON.stringify(["User A", "User B"]), `participants ${names}`);
  step("listParticipants by page of 1", names.join(", "));

  // Add an unknown user: exactly one invalid participant, targeted at it.
  const resourcePrefix = userA.communicationUserId.slice(0, userA.communicationUserId.lastIndexOf("_"));
  const unknown = { communicationUserId: `${resourcePrefix}_00000027-0000-0000-0000-000000000000` };
  const addResult = await threadA.addParticipants({ participants: [{ id: unknown, displayName: "Nobody" }] });
  const invalid = addResult.invalidParticipants ?? [];
  check(invalid.length === 1 && invalid[0].target === unknown.communicationUserId,
    `addParticipants gave ${JSON.stringify(addResult)}`);
  step("addParticipants (unknown user)", `one invalid participant: ${invalid[0].code} ${invalid[0].message} for ${invalid[0].target}`);

  // Remove the second user, who then gets 403.
  await threadA.removeParticipant(userB);
  await expectStatus("getProperties by the removed user", 403, () => threadB.getProperties());
  await expectStatus("sendMessage by the removed user", 403, () => threadB.sendMessage({ content: "still here?" }));

  // Typing and read receipts.
  const typed = await threadA.sendTypingNotification({ senderDisplayName: "User A" });
  check(typed === true, `sendTypingNotification gave ${typed}`);
  step("sendTypingNotification");
  await threadA.sendReadReceipt({ chatMessageId: second.id });
  const receipts = await collectPages(threadA.listReadReceipts().byPage());
  const allReceipts = receipts.flat();
  check(allReceipts.length === 1 && allReceipts[0].chatMessageId === second.id
    && allReceipts[0].sender.communicationUserId === userA.communicationUserId,
  `read receipts ${JSON.stringify(allReceipts)}`);
  step("sendReadReceipt / listReadReceipts", `${allReceipts[0].chatMessageId} read on ${allReceipts[0].readOn.toISOString()}`);

  // List threads: the user who left still sees the thread.
  for (const [label, client] of [["User A", chatA], ["User B", chatB]]) {
    const ids = [];
    for await (const item of client.listChatThreads({ maxPageSize: 5 })) {
      ids.push(item.id);
    }
    check(ids.includes(threadId), `listChatThreads for ${label}: ${ids}`);
  }
  step("listChatThreads", "the thread, for both users");

  // Delete the thread.
  await chatA.deleteChatThread(threadId);
  await expectStatus("getProperties after deleteChatThread", 404, () => threadA.getProperties());

  // A token with a forged signature.
  const [header, payload] = tokenA.split(".");
  const forged = new ChatClient(endpoint, new AzureCommunicationTokenCredential(`${header}.${payload}.${"A".repeat(43)}`));
  await expectStatus("forged token", 401, async () => {
    for await (const item of forged.listChatThreads()) {
      void item;
    }
  });

  await identity.deleteUser(userA);
  await identity.deleteUser(userB);
  console.log("js chat: PASS");
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  if (error instanceof Mismatch) {
    console.error(`js chat: FAIL ${error.message}`);
  } else {
    console.error(`js chat: FAIL unexpected error: ${error?.statusCode ?? ""} ${error?.stack ?? error}`);
  }
  process.exitCode = 1;
}
