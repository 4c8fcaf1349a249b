"""Chat throughput of the official Python SDK (azure-communication-chat, asyncio client).

For 1 and then 32 concurrent senders: creates a thread, sends 2 000 messages in all (each sender
its share, one after another), then lists the thread's messages with one caller at 100 per page
and checks all 2 000 came back. Prints one JSON line with the timings. Run by `cargo xtask
chat-bench` against the emulator's TLS mode (connection string in
COMMUNICATION_SERVICES_CONNECTION_STRING, its certificate in ACS_EMULATOR_CERT_FILE, verified,
never ignored; see below how).
"""

import asyncio
import json
import os
import sys
import time

ENV_VAR = "COMMUNICATION_SERVICES_CONNECTION_STRING"
CERT_ENV_VAR = "ACS_EMULATOR_CERT_FILE"

# The chat client is left at azure-core's default (verify against the default trust store, the
# setting a client of the real service has), with the emulator's certificate as that store:
# `connection_verify=<file>` would make azure-core build a new SSL context for every request,
# and aiohttp a new TLS connection for each, a cost a client of the real service never pays.
# Set before aiohttp is imported (it makes its default context then).
if os.environ.get(CERT_ENV_VAR):
    os.environ["SSL_CERT_FILE"] = os.environ[CERT_ENV_VAR]

from azure.communication.identity import CommunicationIdentityClient, CommunicationTokenScope
from azure.communication.chat import ChatParticipant
from azure.communication.chat.aio import ChatClient, CommunicationTokenCredential
from azure.communication.chat._version import VERSION as SDK_VERSION

MESSAGES = 2000
PAGE_SIZE = 100


def endpoint_of(connection_string):
    for part in connection_string.split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() == "endpoint":
            return value.strip()
    raise SystemExit(f"{ENV_VAR} has no endpoint=")


async def send_share(thread, sender, count, latencies):
    for n in range(count):
        started = time.perf_counter()
        await thread.send_message(f"message {n} from sender {sender}")
        latencies.append(time.perf_counter() - started)


def percentile_ms(latencies, percent):
    ordered = sorted(latencies)
    return ordered[min(len(ordered) * percent // 100, len(ordered) - 1)] * 1000


async def run(chat, user, senders):
    created = await chat.create_chat_thread(
        f"bench {senders}", thread_participants=[ChatParticipant(identifier=user)])
    thread = chat.get_chat_thread_client(created.chat_thread.id)
    async with thread:
        latencies = []
        started = time.perf_counter()
        await asyncio.gather(*(
            send_share(thread, sender, MESSAGES // senders + (sender < MESSAGES % senders),
                       latencies)
            for sender in range(senders)))
        sent = time.perf_counter() - started
        started = time.perf_counter()
        texts = 0
        async for message in thread.list_messages(results_per_page=PAGE_SIZE):
            if message.type == "text":
                texts += 1
        listed = time.perf_counter() - started
    if texts != MESSAGES:
        raise SystemExit(f"listed {texts} text messages, want {MESSAGES}")
    return {"senders": senders, "send_seconds": sent, "list_seconds": listed, "listed": texts,
            "send_p50_ms": percentile_ms(latencies, 50), "send_p99_ms": percentile_ms(latencies, 99)}


async def main():
    connection_string = os.environ[ENV_VAR]
    endpoint = endpoint_of(connection_string)
    options = {}
    cert_file = os.environ.get(CERT_ENV_VAR)
    if cert_file:
        options["connection_verify"] = cert_file
    identity = CommunicationIdentityClient.from_connection_string(connection_string, **options)
    user, token = identity.create_user_and_token([CommunicationTokenScope.CHAT])
    runs = []
    async with ChatClient(endpoint, CommunicationTokenCredential(token.token)) as chat:
        for senders in (1, 32):
            runs.append(await run(chat, user, senders))
    print(json.dumps({"client": f"python azure-communication-chat {SDK_VERSION} (aio)",
                      "runs": runs}), flush=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
