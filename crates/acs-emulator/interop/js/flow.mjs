// The ACS identity quickstart, run with the official JavaScript SDK (@azure/communication-identity).
//
// Reads the connection string from COMMUNICATION_SERVICES_CONNECTION_STRING, prints one line per
// step and exits non-zero at the first mismatch. Used by `cargo xtask interop` against the local
// emulator; it works unchanged against a real ACS resource. The client is built straight from the
// connection string. The SDK's pipeline (@azure/core-rest-pipeline) refuses plain http unless the
// client option `allowInsecureConnection` is set, so it is set only when the endpoint is http://
// (the emulator on 127.0.0.1); HMAC signing is the same either way. Against the emulator in TLS
// mode, Node.js trusts its self-signed certificate through NODE_EXTRA_CA_CERTS (set by the caller).

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { CommunicationIdentityClient } from "@azure/communication-identity";

const ENV_VAR = "COMMUNICATION_SERVICES_CONNECTION_STRING";
const EXPIRES_IN_MINUTES = 60;
// The service counts the lifetime from when it mints the token; allow for the round trip.
const LIFETIME_TOLERANCE_SECONDS = 120;

class Mismatch extends Error {}

function step(name, detail = "") {
  console.log(`js: ok   ${name}${detail ? ": " + detail : ""}`);
}

function check(condition, message) {
  if (!condition) throw new Mismatch(message);
}

function sdkVersion() {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve("@azure/communication-identity/package.json");
  return JSON.parse(readFileSync(manifest, "utf8")).version;
}

function jwtClaims(token) {
  const parts = token.split(".");
  check(parts.length === 3, "the token is not a JWT (three dot-separated parts)");
  return JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
}

function checkToken(label, accessToken, scopes, expiresInMinutes) {
  const claims = jwtClaims(accessToken.token);
  check(Number.isInteger(claims.exp), `${label}: exp claim missing or not an integer: ${claims.exp}`);
  check(accessToken.expiresOn instanceof Date && !Number.isNaN(accessToken.expiresOn.getTime()),
    `${label}: expiresOn is not a valid Date: ${accessToken.expiresOn}`);
  const expiresOn = Math.floor(accessToken.expiresOn.getTime() / 1000);
  check(expiresOn === claims.exp,
    `${label}: token exp ${claims.exp} != expiresOn ${accessToken.expiresOn.toISOString()}`);
  const lifetime = claims.exp - Date.now() / 1000;
  check(Math.abs(lifetime - expiresInMinutes * 60) <= LIFETIME_TOLERANCE_SECONDS,
    `${label}: token lives ${lifetime.toFixed(0)} s, asked for ${expiresInMinutes * 60} s`);
  const acsScope = String(claims.acsScope ?? "").split(",").sort();
  check(JSON.stringify(acsScope) === JSON.stringify([...scopes].sort()),
    `${label}: acsScope ${claims.acsScope} != requested ${scopes}`);
  check(String(claims.skypeid ?? "").startsWith("acs:"),
    `${label}: skypeid claim ${claims.skypeid} is not acs:<resource>_<user>`);
  return claims.exp;
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

async function main() {
  const connectionString = process.env[ENV_VAR];
  if (!connectionString) {
    console.error(`js: FAIL ${ENV_VAR} is not set`);
    return 2;
  }
  const endpoint = /endpoint=([^;]*)/i.exec(connectionString)?.[1] ?? "";
  const client = new CommunicationIdentityClient(connectionString, {
    allowInsecureConnection: endpoint.toLowerCase().startsWith("http://"),
  });
  step("client", `@azure/communication-identity ${sdkVersion()}, endpoint ${endpoint}`);
  const scopes = ["chat", "voip"];

  let sent;
  const user = await client.createUser({
    onResponse: (response) => {
      sent = response.request;
    },
  });
  check(user.communicationUserId?.startsWith("8:acs:"), `createUser gave ${JSON.stringify(user)}`);
  step("createUser", user.communicationUserId);
  const url = new URL(sent.url);
  const headerNames = [...sent.headers].map(([name]) => name.toLowerCase()).sort();
  step("request", `${sent.method} ${url.pathname.slice(1)}${url.search}; headers: ${headerNames.join(", ")}`);
  check(url.searchParams.get("api-version"), `no api-version in ${sent.url}`);

  const token = await client.getToken(user, scopes, { tokenExpiresInMinutes: EXPIRES_IN_MINUTES });
  const exp = checkToken("getToken", token, scopes, EXPIRES_IN_MINUTES);
  step("getToken", `scopes ${scopes}, tokenExpiresInMinutes ${EXPIRES_IN_MINUTES}, exp ${exp} == expiresOn ${token.expiresOn.toISOString()}`);

  const both = await client.createUserAndToken(scopes, { tokenExpiresInMinutes: 90 });
  check(both.user.communicationUserId !== user.communicationUserId, "createUserAndToken reused an id");
  checkToken("createUserAndToken", both, scopes, 90);
  step("createUserAndToken", `${both.user.communicationUserId}, exp == expiresOn`);

  const defaultToken = await client.getToken(both.user, ["chat"]);
  checkToken("getToken (default lifetime)", defaultToken, ["chat"], 24 * 60);
  step("getToken default lifetime", "24 h");

  await expectStatus("getToken tokenExpiresInMinutes 30 rejected", 400, () =>
    client.getToken(user, scopes, { tokenExpiresInMinutes: 30 }));

  await client.revokeTokens(user);
  step("revokeTokens", user.communicationUserId);

  await client.deleteUser(user);
  step("deleteUser", user.communicationUserId);

  await expectStatus("getToken on deleted user", 404, () => client.getToken(user, scopes));

  await client.deleteUser(both.user);
  step("deleteUser", both.user.communicationUserId);
  console.log("js: PASS");
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    if (error instanceof Mismatch) {
      console.error(`js: FAIL ${error.message}`);
    } else {
      console.error(`js: FAIL unexpected error: ${error.statusCode ?? ""} ${error.code ?? ""} ${error.message}`);
    }
    process.exitCode = 1;
  },
);
