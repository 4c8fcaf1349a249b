"""The ACS Chat flow, run with the official Python SDK (azure-communication-chat), unchanged.

Reads the connection string from COMMUNICATION_SERVICES_CONNECTION_STRING (an https endpoint:
the SDK refuses bearer tokens over http), makes two users with the official identity SDK, and
runs every chat operation: create (with a second user, a display name and a share-history time),
get, rename, send, the second user lists by page (page size 2, system messages, newest first),
get/edit/delete a message, list participants by page, add an unknown user (exactly one invalid
participant, targeted at it), remove the second user (who then gets 403), typing, read receipt
and receipts list, list threads, delete the thread, and a token with a forged signature (401).
Prints one line per step and exits non-zero at the first mismatch. Used by `cargo xtask
interop` against the emulator's TLS mode; it works unchanged against a real ACS resource.

When ACS_EMULATOR_CERT_FILE names a PEM file (the emulator's self-signed certificate), every
client verifies the server against it through azure-core's `connection_verify` option:
certificate checks stay on.
"""

import os
import sys
import uuid
from datetime import datetime, timezone

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from azure.communication.identity import (
    CommunicationIdentityClient,
    CommunicationTokenScope,
    CommunicationUserIdentifier,
)
from azure.communication.chat import (
    ChatClient,
    ChatMessageType,
    ChatParticipant,
    CommunicationTokenCredential,
)
from azure.communication.chat._version import VERSION as SDK_VERSION

ENV_VAR = "COMMUNICATION_SERVICES_CONNECTION_STRING"
CERT_ENV_VAR = "ACS_EMULATOR_CERT_FILE"
SHARE_HISTORY_TIME = datetime(2020, 1, 1, tzinfo=timezone.utc)


class Mismatch(Exception):
    """A step whose answer differs from what the service gives."""


def step(name, detail=""):
    print(f"python chat: ok   {name}{': ' + detail if detail else ''}", flush=True)


def check(condition, message):
    if not condition:
        raise Mismatch(message)


def endpoint_of(connection_string):
    for part in connection_string.split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() == "endpoint":
            return value.strip()
    raise Mismatch(f"{ENV_VAR} has no endpoint=")


def expect_status(label, status, operation):
    try:
        operation()
    except HttpResponseError as error:
        check(error.status_code == status, f"{label} gave {error.status_code}, want {status}")
        step(label, f"{status} {type(error).__name__}")
        return error
    raise Mismatch(f"{label} succeeded, want {status}")


def main():
    connection_string = os.environ.get(ENV_VAR)
    if not connection_string:
        print(f"python chat: FAIL {ENV_VAR} is not set", file=sys.stderr)
        return 2
    endpoint = endpoint_of(connection_string)
    check(endpoint.lower().startswith("https://"),
          f"the chat flow needs an https endpoint (the SDK refuses bearer tokens over http): {endpoint}")
    options = {}
    cert_file = os.environ.get(CERT_ENV_VAR)
    if cert_file:
        # Verify against this certificate instead of the system store (never verify=False).
        options["connection_verify"] = cert_file
    step("setup", f"azure-communication-chat {SDK_VERSION}, endpoint {endpoint}"
         + (f", trusting {os.path.basename(cert_file)}" if cert_file else ""))

    identity = CommunicationIdentityClient.from_connection_string(connection_string, **options)
    user_a, token_a = identity.create_user_and_token([CommunicationTokenScope.CHAT])
    user_b, token_b = identity.create_user_and_token([CommunicationTokenScope.CHAT])
    step("users", f"{user_a.properties['id']}, {user_b.properties['id']}")

    chat_a = ChatClient(endpoint, CommunicationTokenCredential(token_a.token), **options)
    chat_b = ChatClient(endpoint, CommunicationTokenCredential(token_b.token), **options)

    # Create, with a second user, a display name and a share-history time.
    created = chat_a.create_chat_thread(
        "chat check",
        thread_participants=[
            ChatParticipant(identifier=user_a, display_name="User A"),
            ChatParticipant(identifier=user_b, display_name="User B",
                            share_history_time=SHARE_HISTORY_TIME),
        ],
        idempotency_token=str(uuid.uuid4()),
    )
    check(not created.errors, f"create reported invalid participants: {created.errors}")
    thread_id = created.chat_thread.id
    check(thread_id.startswith("19:") and thread_id.endswith("@thread.v2"), f"thread id {thread_id}")
    check(created.chat_thread.topic == "chat check", f"topic {created.chat_thread.topic!r}")
    check(created.chat_thread.created_by.properties["id"] == user_a.properties["id"],
          f"created_by {created.chat_thread.created_by!r}")
    step("create_chat_thread", thread_id)

    # The SDK does not pass the ChatClient's options on: give them again.
    thread_a = chat_a.get_chat_thread_client(thread_id, **options)
    thread_b = chat_b.get_chat_thread_client(thread_id, **options)

    properties = thread_b.get_properties()
    check(properties.id == thread_id and properties.topic == "chat check",
          f"get_properties gave {properties.id} {properties.topic!r}")
    check(properties.created_on.tzinfo is not None, "created_on has no offset")
    step("get_properties", f"topic {properties.topic!r}, created {properties.created_on.isoformat()}")

    thread_a.update_topic("renamed")
    check(thread_b.get_properties().topic == "renamed", "the topic did not change")
    thread_a.update_topic()  # no topic: a successful no-op
    step("update_topic", "renamed; an empty update is a no-op")

    sent = thread_a.send_message("hi", sender_display_name="User A", metadata={"k": "v"})
    message_id = sent.id
    check(message_id.isdigit(), f"message id {message_id!r}")
    second = thread_b.send_message("hello", sender_display_name="User B")
    step("send_message", f"{message_id}, {second.id}")

    # The second user lists by page of 2: newest first, system messages included.
    pages = list(thread_b.list_messages(results_per_page=2).by_page())
    messages = []
    sizes = []
    for page in pages:
        items = list(page)
        sizes.append(len(items))
        messages.extend(items)
    check(all(size <= 2 for size in sizes) and sizes[0] == 2, f"page sizes {sizes}")
    sequences = [int(message.sequence_id) for message in messages]
    check(sequences == sorted(sequences, reverse=True) and len(set(sequences)) == len(sequences),
          f"sequence ids not strictly descending: {sequences}")
    types = [message.type for message in messages]
    check(types[:2] == [ChatMessageType.TEXT, ChatMessageType.TEXT], f"types {types}")
    check(ChatMessageType.TOPIC_UPDATED in types and ChatMessageType.PARTICIPANT_ADDED in types,
          f"no system messages in {types}")
    newest = messages[0]
    check(newest.content.message == "hello" and newest.sender_display_name == "User B",
          f"newest {newest.content.message!r} by {newest.sender_display_name!r}")
    check(newest.sender.properties["id"] == user_b.properties["id"], "newest sender")
    added = next(message for message in messages if message.type == ChatMessageType.PARTICIPANT_ADDED)
    check(added.sender is None, "a system message has a sender")
    added_ids = sorted(participant.identifier.properties["id"] for participant in added.content.participants)
    check(added_ids == sorted([user_a.properties["id"], user_b.properties["id"]]),
          f"participantAdded lists {added_ids}")
    check(added.content.initiator.properties["id"] == user_a.properties["id"], "initiator")
    shared = [p.share_history_time for p in added.content.participants
              if p.identifier.properties["id"] == user_b.properties["id"]]
    check(shared == [SHARE_HISTORY_TIME], f"share_history_time {shared}")
    topics = [message.content.topic for message in messages if message.type == ChatMessageType.TOPIC_UPDATED]
    check(topics == ["renamed", "chat check"], f"topicUpdated topics {topics}")
    step("list_messages by page of 2", f"pages {sizes}, sequence ids {sequences}, types "
         + ", ".join(str(getattr(t, 'value', t)) for t in types))

    # Get, edit, delete a message.
    got = thread_b.get_message(message_id)
    check(got.content.message == "hi" and got.metadata == {"k": "v"}, f"get_message {got.content.message!r}")
    check(got.version == message_id, f"version {got.version} != id {message_id}")
    thread_a.update_message(message_id, content="edited")
    edited = thread_b.get_message(message_id)
    check(edited.content.message == "edited" and edited.edited_on is not None,
          f"after update {edited.content.message!r}, edited_on {edited.edited_on}")
    check(int(edited.version) > int(message_id), f"version {edited.version} after edit")
    check(edited.sequence_id == got.sequence_id, "sequence id changed on edit")
    thread_a.delete_message(message_id)
    deleted = thread_b.get_message(message_id)
    check(deleted.deleted_on is not None, "deleted_on not set")
    step("get/update/delete_message", f"version {got.version} -> {edited.version}, deleted_on {deleted.deleted_on.isoformat()}")

    # Participants by page.
    participant_pages = [list(page) for page in thread_b.list_participants(results_per_page=1).by_page()]
    check([len(page) for page in participant_pages] == [1, 1], f"participant pages {participant_pages}")
    names = [page[0].display_name for page in participant_pages]
    check(names == ["User A", "User B"], f"participants {names}")
    step("list_participants by page of 1", ", ".join(names))

    # Add an unknown user: exactly one partial failure, targeted at it.
    resource_prefix = user_a.properties["id"].rsplit("_", 1)[0]
    unknown = CommunicationUserIdentifier(f"{resource_prefix}_00000027-0000-0000-0000-000000000000")
    failures = thread_a.add_participants([ChatParticipant(identifier=unknown, display_name="Nobody")])
    check(len(failures) == 1, f"add_participants gave {failures}")
    participant, error = failures[0]
    check(error.target == unknown.properties["id"], f"target {error.target}")
    check(participant is not None and participant.identifier.properties["id"] == unknown.properties["id"],
          "the failure is not paired with the request's participant")
    step("add_participants (unknown user)", f"one failure: {error.code} {error.message} for {error.target}")

    # Remove the second user, who then gets 403.
    thread_a.remove_participant(user_b)
    expect_status("get_properties by the removed user", 403, thread_b.get_properties)
    expect_status("send_message by the removed user", 403, lambda: thread_b.send_message("still here?"))

    # Typing and read receipts.
    thread_a.send_typing_notification(sender_display_name="User A")
    step("send_typing_notification")
    thread_a.send_read_receipt(second.id)
    receipts = list(thread_a.list_read_receipts())
    check(len(receipts) == 1, f"read receipts {receipts}")
    check(receipts[0].chat_message_id == second.id and receipts[0].sender.properties["id"] == user_a.properties["id"],
          f"read receipt {receipts[0].chat_message_id} by {receipts[0].sender.properties}")
    step("send_read_receipt / list_read_receipts", f"{receipts[0].chat_message_id} read on {receipts[0].read_on.isoformat()}")

    # List threads: the user who left still sees the thread.
    for label, client in (("User A", chat_a), ("User B", chat_b)):
        ids = [item.id for item in client.list_chat_threads(results_per_page=5)]
        check(thread_id in ids, f"list_chat_threads for {label}: {ids}")
    step("list_chat_threads", "the thread, for both users")

    # Delete the thread.
    chat_a.delete_chat_thread(thread_id)
    try:
        thread_a.get_properties()
        raise Mismatch("the deleted thread is still there")
    except ResourceNotFoundError as error:
        step("delete_chat_thread", f"then get_properties: {error.status_code}")

    # A token with a forged signature.
    header, payload, _ = token_a.token.split(".")
    forged = ChatClient(endpoint, CommunicationTokenCredential(f"{header}.{payload}.{'A' * 43}"), **options)
    try:
        list(forged.list_chat_threads())
        raise Mismatch("a forged token was accepted")
    except ClientAuthenticationError as error:
        check(error.status_code == 401, f"forged token gave {error.status_code}")
        step("forged token", f"401 {type(error).__name__}")

    identity.delete_user(user_a)
    identity.delete_user(user_b)
    print("python chat: PASS", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Mismatch as mismatch:
        print(f"python chat: FAIL {mismatch}", file=sys.stderr)
        sys.exit(1)
    except HttpResponseError as error:
        print(f"python chat: FAIL unexpected HTTP {error.status_code}: {error.message}", file=sys.stderr)
        sys.exit(1)
