/**
 * Thousands of malformed or mutated requests against the full guard pipeline and routes that
 * parse bodies: never a 5xx, and the server still answers afterwards. Seeded, so a failure
 * reproduces; the seed and the request are in the assertion message.
 */
import assert from "node:assert/strict";
import {
  authThrottle,
  concurrencyLimit,
  hostGuard,
  idempotency,
  originGuard,
  requestLog,
  securityHeaders,
} from "../../../server/guards/mod.ts";
import { AUTH, KEY, rawRequest, serveApp } from "./harness.ts";

const SEED = 0x5eed_1234;
const REQUESTS = 3_000;
const PARALLEL = 16;
const MAX_BODY = 64 * 1024;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = mulberry32(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
const int = (n: number) => Math.floor(rand() * n);

const PATHS = [
  "/health",
  "/v1/echo",
  "/v1/slow",
  "/v1/stream",
  "/v1/items/abc",
  "/v1/items/%E0%A4%A",
  "/v1/items/%00",
  "/v1//items/x",
  "/v1/items/a/b",
  "/v1/models",
  "/",
  "/v1/" + "a".repeat(3000),
  "/v1/items/" + encodeURIComponent("ü🎉\u0000"),
];
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];
const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/vnd.api+json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "",
  "application/jsonx",
  "APPLICATION/JSON",
];
const SEEDS: unknown[] = [
  { input: "hello" },
  { input: "hi", stream: true, n: 2 },
  { input: "x", n: 5 },
  { input: ["not", "a", "string"] },
  { input: null },
  { n: -1 },
  [],
  "just a string",
  42,
  null,
  { input: "a", extra: { deep: [1, 2, { x: "y" }] } },
];

function mutateText(text: string): string {
  const chars = [...text];
  const edits = 1 + int(4);
  for (let i = 0; i < edits; i++) {
    const at = int(chars.length + 1);
    switch (int(6)) {
      case 0:
        chars.splice(at, 1);
        break;
      case 1:
        chars.splice(
          at,
          0,
          pick(["{", "}", "[", "]", '"', ",", ":", "\\", "\u0000", "\ud800", "é"]),
        );
        break;
      case 2:
        chars.splice(at);
        break;
      case 3:
        chars.splice(at, 0, ...text.slice(0, int(text.length)));
        break;
      case 4:
        chars[at] = String.fromCharCode(int(0x10000));
        break;
      default:
        chars.reverse();
    }
  }
  return chars.join("");
}

function randomBody(): BodyInit | undefined {
  switch (int(10)) {
    case 0:
      return undefined;
    case 1:
      return "[".repeat(5_000 + int(50_000)) + "]".repeat(int(100));
    case 2:
      return JSON.stringify({ input: "x".repeat(MAX_BODY + int(1000)) });
    case 3: {
      const bytes = new Uint8Array(int(2048));
      for (let i = 0; i < bytes.length; i++) bytes[i] = int(256);
      return bytes;
    }
    case 4:
      return JSON.stringify({ input: "ok", n: pick([1e308, -0, 1.5, "3", NaN]) });
    default:
      return mutateText(JSON.stringify(pick(SEEDS)));
  }
}

function randomHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const auth = int(10);
  if (auth < 8) headers.Authorization = AUTH.Authorization;
  else if (auth === 8) headers.Authorization = pick(["Bearer", "Basic abc", `bearer  ${KEY} `]);
  const type = pick(CONTENT_TYPES);
  if (type) headers["Content-Type"] = type;
  if (int(5) === 0) headers.Origin = pick(["https://ok.example", "https://evil.example", "null"]);
  if (int(4) === 0) headers["Idempotency-Key"] = pick(["k1", "k2", "x".repeat(300), "k" + int(50)]);
  if (int(6) === 0) {
    headers["X-Request-Id"] = pick(["ok-1", "bad id with spaces", "é", "a".repeat(500)]);
  }
  if (int(8) === 0) headers["Access-Control-Request-Method"] = pick(METHODS);
  return headers;
}

Deno.test("thousands of malformed requests never produce a 5xx and the server survives", async () => {
  const app = serveApp([
    securityHeaders(),
    requestLog({ log: () => {} }),
    hostGuard({ bindHost: "127.0.0.1" }),
    originGuard({ origins: ["https://ok.example"] }),
    // A real throttle would soon answer everything with 429 and hide the routes from the fuzz.
    authThrottle({ maxFailures: Number.MAX_SAFE_INTEGER }),
    idempotency({ apiKeys: () => [KEY], maxBodyBytes: MAX_BODY }),
    concurrencyLimit({ maxRuns: 4 }),
  ]);
  const statuses = new Map<number, number>();
  let sent = 0;
  try {
    const worker = async () => {
      while (sent < REQUESTS) {
        const n = sent++;
        const method = pick(METHODS);
        const path = pick(PATHS) +
          (int(5) === 0 ? "?q=" + pick(["%ZZ", "a%00b", "key=sk-x&&", "%E0%A4%A", "a=b"]) : "");
        const headers = randomHeaders();
        const body = method === "GET" || method === "HEAD" ? undefined : randomBody();
        let res: Response;
        try {
          res = await fetch(`${app.url}${path}`, { method, headers, body });
        } catch (error) {
          // The client refused to send it (e.g. an invalid header value): nothing reached us.
          if (error instanceof TypeError && !/connection|reset|closed/i.test(error.message)) {
            continue;
          }
          throw new Error(`request #${n} ${method} ${path} (seed ${SEED}) failed: ${error}`);
        }
        await res.body?.cancel();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        assert.ok(res.status < 500, `#${n} ${method} ${path} → ${res.status} (seed ${SEED})`);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));

    // Garbage on the wire is answered by the HTTP layer, not by a crash.
    for (const head of ["GARBAGE\n", "GET / HTTP/9.9\nHost: x\n", "POST /v1/echo HTTP/1.1\n"]) {
      const raw = await rawRequest(app.port, head + "Connection: close\n").catch(() => null);
      if (raw) assert.ok(raw.status < 500 || Number.isNaN(raw.status), head);
    }

    const health = await fetch(`${app.url}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    const echo = await fetch(`${app.url}/v1/echo`, {
      method: "POST",
      headers: { ...AUTH, "Content-Type": "application/json" },
      body: JSON.stringify({ input: "still here" }),
    });
    assert.equal((await echo.json()).echo, "still here");
    // The fuzz must have exercised the handlers, not only the guards.
    for (const s of [200, 400, 401, 403, 404, 405, 413, 415]) {
      assert.ok(statuses.has(s), `no ${s} seen: ${JSON.stringify([...statuses])}`);
    }
  } finally {
    await app.close();
  }
});
