"""The ACS identity quickstart, run with the official Python SDK (azure-communication-identity).

Reads the connection string from COMMUNICATION_SERVICES_CONNECTION_STRING, prints one line per
step and exits non-zero at the first mismatch. Used by `cargo xtask interop` against the local
emulator; it works unchanged against a real ACS resource.

An `https://` endpoint (a real resource, or the emulator in TLS mode) goes through
`CommunicationIdentityClient.from_connection_string`, as in the quickstart. When
ACS_EMULATOR_CERT_FILE names a PEM file (the emulator's self-signed certificate), the client
verifies the server against it through azure-core's `connection_verify` option: certificate
checks stay on.

Why the client is not always built with `from_connection_string`: in 1.5.0 that helper keeps
only the host of the endpoint and always prepends `https://`, so it cannot reach a plain-http
endpoint. For an `http://` endpoint (the emulator on 127.0.0.1) the flow uses the SDK's public
constructor, `CommunicationIdentityClient(endpoint, AzureKeyCredential(key))`, which keeps the
scheme and signs with the same HMAC policy, given the endpoint without its trailing '/' (with
it, 1.5.0 signs the host as `127.0.0.1:PORT/` while sending `Host: 127.0.0.1:PORT`, and the
signature cannot match: the flow checks that the emulator's 401 says so). Nothing in the SDK is
patched.
"""

import base64
import json
import os
import sys
from datetime import datetime, timedelta, timezone

from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.communication.identity import (
    CommunicationIdentityClient,
    CommunicationTokenScope,
    CommunicationUserIdentifier,
)
from azure.communication.identity._api_versions import ApiVersion
from azure.communication.identity._version import VERSION as SDK_VERSION

ENV_VAR = "COMMUNICATION_SERVICES_CONNECTION_STRING"
# Optional: a PEM file of certificates to trust for an https endpoint (the emulator's own).
CERT_ENV_VAR = "ACS_EMULATOR_CERT_FILE"
EXPIRES_IN = timedelta(minutes=60)
# The service counts the lifetime from when it mints the token; allow for the round trip.
LIFETIME_TOLERANCE_SECONDS = 120


class Mismatch(Exception):
    """A step whose answer differs from what the service gives."""


def step(name, detail=""):
    print(f"python: ok   {name}{': ' + detail if detail else ''}", flush=True)


def check(condition, message):
    if not condition:
        raise Mismatch(message)


def parse_connection_string(text):
    """Splits `endpoint=...;accesskey=...` (keys case-insensitive), as the SDKs do."""
    pairs = {}
    for part in text.split(";"):
        if "=" in part:
            key, value = part.split("=", 1)
            pairs[key.strip().lower()] = value.strip()
    check("endpoint" in pairs and "accesskey" in pairs,
          f"{ENV_VAR} must hold endpoint=...;accesskey=...")
    return pairs["endpoint"].rstrip("/"), pairs["accesskey"]


def make_client(connection_string, **options):
    """The client, and how it was built."""
    endpoint, key = parse_connection_string(connection_string)
    if endpoint.lower().startswith("https://"):
        cert_file = os.environ.get(CERT_ENV_VAR)
        if cert_file:
            # Verify against this certificate instead of the system store (never verify=False).
            options["connection_verify"] = cert_file
        return (f"from_connection_string, endpoint {endpoint}"
                + (f", trusting {os.path.basename(cert_file)}" if cert_file else ""),
                CommunicationIdentityClient.from_connection_string(connection_string, **options))
    return (f"constructor with AzureKeyCredential, endpoint {endpoint}",
            CommunicationIdentityClient(endpoint, AzureKeyCredential(key), **options))


def jwt_claims(token):
    parts = token.split(".")
    check(len(parts) == 3, "the token is not a JWT (three dot-separated parts)")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def expires_on_seconds(value):
    """AccessToken.expires_on as Unix seconds. azure-core types it as an int, but 1.5.0 hands
    over the service's `expiresOn` text unchanged (ISO 8601 with an offset, 7 fractional
    digits); accept a datetime or a number too, should a later version parse it."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as error:
            raise Mismatch(f"expiresOn {value!r} is not ISO 8601: {error}") from error
    check(isinstance(value, datetime), f"expiresOn {value!r} has an unexpected type")
    check(value.tzinfo is not None, f"expiresOn {value!r} has no offset")
    return value.timestamp()


def check_token(label, access_token, scopes, expires_in):
    claims = jwt_claims(access_token.token)
    exp = claims.get("exp")
    check(isinstance(exp, int), f"{label}: exp claim missing or not an integer: {exp!r}")
    expires_on = expires_on_seconds(access_token.expires_on)
    check(int(expires_on) == exp,
          f"{label}: token exp {exp} != expiresOn {expires_on} ({access_token.expires_on!r})")
    now = datetime.now(timezone.utc).timestamp()
    lifetime = exp - now
    check(abs(lifetime - expires_in.total_seconds()) <= LIFETIME_TOLERANCE_SECONDS,
          f"{label}: token lives {lifetime:.0f} s, asked for {expires_in.total_seconds():.0f} s")
    acs_scope = claims.get("acsScope", "")
    check(sorted(acs_scope.split(",")) == sorted(scopes),
          f"{label}: acsScope {acs_scope!r} != requested {scopes}")
    check(str(claims.get("skypeid", "")).startswith("acs:"),
          f"{label}: skypeid claim {claims.get('skypeid')!r} is not acs:<resource>_<user>")
    return exp


def main():
    connection_string = os.environ.get(ENV_VAR)
    if not connection_string:
        print(f"python: FAIL {ENV_VAR} is not set", file=sys.stderr)
        return 2

    sent = []

    def hook(request):
        # What the SDK puts on the wire, for the record (the signature itself is left out).
        http_request = request.http_request
        sent.append((http_request.method, http_request.url, dict(http_request.headers)))

    built, client = make_client(connection_string, raw_request_hook=hook)
    step("client", f"azure-communication-identity {SDK_VERSION}, {built}")
    scopes = [CommunicationTokenScope.CHAT, CommunicationTokenScope.VOIP]
    scope_names = [scope.value for scope in scopes]

    user = client.create_user()
    check(isinstance(user, CommunicationUserIdentifier), f"create_user gave {user!r}")
    user_id = user.properties["id"]
    check(user_id.startswith("8:acs:"), f"user id {user_id!r} is not 8:acs:...")
    step("create_user", user_id)

    method, url, headers = sent[-1]
    endpoint, _ = parse_connection_string(connection_string)
    # Scheme, host and port as in the connection string (https stays https).
    check(url.lower().startswith(endpoint.lower() + "/"), f"the SDK sent {url}, not to {endpoint}")
    step("request", f"{method} {url.split('//', 1)[-1].split('/', 1)[-1]}; headers: "
         + ", ".join(sorted(name.lower() for name in headers)))
    check("api-version=" in url, f"no api-version in {url}")

    if endpoint.lower().startswith("http://"):
        # The same constructor with the endpoint as printed (ending in '/'): 1.5.0 signs the
        # host as `127.0.0.1:PORT/` but sends `Host: 127.0.0.1:PORT`, so the signature cannot
        # match; the emulator's 401 says exactly that.
        _, key = parse_connection_string(connection_string)
        slashed = CommunicationIdentityClient(endpoint + "/", AzureKeyCredential(key))
        try:
            slashed.create_user()
            raise Mismatch("a signature over the host with a trailing '/' was accepted")
        except HttpResponseError as error:
            check(error.status_code == 401, f"trailing-slash endpoint gave {error.status_code}, want 401")
            check("trailing '/'" in str(error), f"the 401 does not name the trailing '/': {error}")
            step("constructor with a trailing '/' in the endpoint", "401 naming the signed host")

    token = client.get_token(user, scopes, token_expires_in=EXPIRES_IN)
    exp = check_token("get_token", token, scope_names, EXPIRES_IN)
    step("get_token", f"scopes {scope_names}, expires_in 60 min, exp {exp} == expiresOn "
         f"{token.expires_on}")

    second_user, second_token = client.create_user_and_token(
        scopes, token_expires_in=timedelta(minutes=90))
    check(second_user.properties["id"] != user_id, "create_user_and_token reused an id")
    check_token("create_user_and_token", second_token, scope_names, timedelta(minutes=90))
    step("create_user_and_token", f"{second_user.properties['id']}, exp == expiresOn")

    default_token = client.get_token(second_user, [CommunicationTokenScope.CHAT])
    check_token("get_token (default lifetime)", default_token, ["chat"], timedelta(hours=24))
    step("get_token default lifetime", "24 h")

    try:
        client.get_token(user, scopes, token_expires_in=timedelta(minutes=30))
        raise Mismatch("a 30-minute token was issued; the service's minimum is 60")
    except HttpResponseError as error:
        check(error.status_code == 400, f"expires_in 30 min gave {error.status_code}, want 400")
        step("get_token expires_in 30 min rejected", f"400 {error.error.code if error.error else ''}")

    client.revoke_tokens(user)
    step("revoke_tokens", user_id)

    client.delete_user(user)
    step("delete_user", user_id)

    try:
        client.get_token(user, scopes)
        raise Mismatch("get_token on a deleted user succeeded")
    except HttpResponseError as error:
        check(error.status_code == 404, f"get_token on a deleted user gave {error.status_code}, want 404")
        step("get_token on deleted user", f"404 {error.error.code if error.error else ''}")

    client.delete_user(second_user)
    step("delete_user", second_user.properties["id"])

    # Every api-version this SDK version knows, as a caller may pin one.
    for version in ApiVersion:
        _, pinned = make_client(connection_string, api_version=version.value)
        pinned_user, pinned_token = pinned.create_user_and_token([CommunicationTokenScope.CHAT])
        check_token(f"api-version {version.value}", pinned_token, ["chat"], timedelta(hours=24))
        pinned.delete_user(pinned_user)
        step(f"api-version {version.value}", "create_user_and_token, delete_user")

    _, unknown = make_client(connection_string, api_version="2099-01-01")
    try:
        unknown.create_user()
        raise Mismatch("api-version 2099-01-01 was accepted")
    except HttpResponseError as error:
        check(error.status_code == 400, f"api-version 2099-01-01 gave {error.status_code}, want 400")
        step("api-version 2099-01-01 rejected", f"400 {error.error.code if error.error else ''}")
    print("python: PASS", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Mismatch as mismatch:
        print(f"python: FAIL {mismatch}", file=sys.stderr)
        sys.exit(1)
    except HttpResponseError as error:
        print(f"python: FAIL unexpected HTTP {error.status_code}: {error.message}", file=sys.stderr)
        sys.exit(1)
