import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  abortableSleep,
  bytesToBase64,
  constantTimeEqual,
  describeError,
  isJsonContentType,
  isRemoteKvPath,
  randomHex,
  settlesWithin,
  sha256Hex,
} from "../../lib/mod.ts";

Deno.test("constantTimeEqual is true only for identical strings, lengths included", () => {
  assert.equal(constantTimeEqual("secret-key", "secret-key"), true);
  assert.equal(constantTimeEqual("secret-key", "secret-kez"), false);
  assert.equal(constantTimeEqual("secret-key", "secret-key-longer"), false);
  assert.equal(constantTimeEqual("", "x"), false);
  assert.equal(constantTimeEqual("é", "e\u0301"), false);
});

Deno.test("abortableSleep resolves false when aborted, before or during the wait", async () => {
  const before = new AbortController();
  before.abort();
  assert.equal(await abortableSleep(60_000, before.signal), false);
  const during = new AbortController();
  const sleeping = abortableSleep(60_000, during.signal);
  during.abort();
  assert.equal(await sleeping, false);
  assert.equal(await abortableSleep(1), true);
});

Deno.test("settlesWithin tells a settled promise from one still pending", async () => {
  assert.equal(await settlesWithin(Promise.resolve(1), 60_000), true);
  assert.equal(await settlesWithin(Promise.reject(new Error("x")), 60_000), true);
  assert.equal(await settlesWithin(new Promise(() => {}), 1), false);
});

Deno.test("sha256Hex matches the standard test vector for strings and bytes", async () => {
  const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  assert.equal(await sha256Hex("abc"), abc);
  assert.equal(await sha256Hex(new TextEncoder().encode("abc")), abc);
});

Deno.test("sha256Hex gives the same digest for small and large inputs, multi-byte text included", async () => {
  // Large inputs are hashed off the main thread, small ones at once: both must agree with
  // an independent digest.
  const subtle = async (bytes: Uint8Array) =>
    Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
  for (const text of ["é€😀 key", "x".repeat(30_000) + "é", "y".repeat(200_000) + "€"]) {
    const bytes = new TextEncoder().encode(text);
    assert.equal(await sha256Hex(text), await subtle(bytes));
    assert.equal(await sha256Hex(bytes), await subtle(bytes));
  }
});

Deno.test("bytesToBase64 handles buffers too large for one call, and base64url", () => {
  const bytes = new Uint8Array(300_000).map((_, i) => (i * 7) % 256);
  assert.equal(bytesToBase64(bytes), Buffer.from(bytes).toString("base64"));
  assert.equal(bytesToBase64(bytes, { url: true }), Buffer.from(bytes).toString("base64url"));
});

Deno.test("isJsonContentType accepts JSON and +json types with parameters, in any case", () => {
  for (
    const type of [
      "application/json",
      "Application/JSON; charset=utf-8",
      "application/vnd.api+json",
    ]
  ) {
    assert.equal(isJsonContentType(type), true, type);
  }
  for (const type of ["text/plain", "application/json-patch", "application/jsonx", "", null]) {
    assert.equal(isJsonContentType(type), false, String(type));
  }
});

Deno.test("isRemoteKvPath counts http and https URLs in any case, nothing else", () => {
  assert.equal(isRemoteKvPath("https://api.deno.com/databases/x/connect"), true);
  assert.equal(isRemoteKvPath("HTTPS://api.deno.com/databases/x/connect"), true);
  assert.equal(isRemoteKvPath("http://127.0.0.1:4512"), true);
  assert.equal(isRemoteKvPath("./https/herald.kv"), false);
  assert.equal(isRemoteKvPath(":memory:"), false);
  assert.equal(isRemoteKvPath(undefined), false);
});

Deno.test("describeError gives an error's message or a value's string form", () => {
  assert.equal(describeError(new TypeError("bad")), "bad");
  assert.equal(describeError("plain"), "plain");
  assert.equal(describeError(42), "42");
});

Deno.test("randomHex gives hex of the asked length, different every time, across pool refills", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2_000; i++) {
    const id = randomHex(12);
    assert.match(id, /^[0-9a-f]{24}$/);
    assert.ok(!seen.has(id), "an identifier came twice");
    seen.add(id);
  }
  assert.match(randomHex(1), /^[0-9a-f]{2}$/);
  assert.throws(() => randomHex(5000), RangeError);
  // Every digit turns up: the bytes are not stuck at some value.
  const digits = new Set([...seen].join(""));
  assert.equal(digits.size, 16);
});
