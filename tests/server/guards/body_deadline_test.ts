import assert from "node:assert/strict";
import { bodyDeadline } from "../../../server/guards/mod.ts";
import { KEY, rawExchange, serveApp } from "./harness.ts";

const BODY = JSON.stringify({ input: "a body sent a few bytes at a time" });

function head(length: number): string {
  return `POST /v1/echo HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${KEY}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;
}

Deno.test("stalled bodies started at different times each get 408 while a body still arriving is read whole", async () => {
  const app = serveApp([bodyDeadline({ idleMs: 1_000 })]);
  try {
    // A body that keeps arriving, a few bytes at a time, for longer than the idle time in all.
    const trickled = (async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: app.port });
      const enc = new TextEncoder();
      try {
        await conn.write(enc.encode(head(BODY.length)));
        for (let i = 0; i < BODY.length; i += 2) {
          await conn.write(enc.encode(BODY.slice(i, i + 2)));
          await new Promise((resolve) => setTimeout(resolve, 60));
        }
        const chunks: Uint8Array[] = [];
        const buf = new Uint8Array(4096);
        for (let n; (n = await conn.read(buf)) !== null;) chunks.push(buf.slice(0, n));
        return new TextDecoder().decode(
          chunks.reduce((a, c) => new Uint8Array([...a, ...c]), new Uint8Array()),
        );
      } finally {
        conn.close();
      }
    })();
    // Stalled bodies, the later ones started while the earlier ones wait.
    const stalled = [];
    for (let i = 0; i < 3; i++) {
      stalled.push(rawExchange(app.port, head(100) + '{"inp', { untilResponse: true }));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    for (const res of await Promise.all(stalled)) {
      assert.equal(res.status, 408);
      assert.ok(res.status !== null && /body_timeout/.test(res.body));
    }
    const answer = await trickled;
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.match(answer, /"echo":"a body sent a few bytes at a time"/);
  } finally {
    await app.close();
  }
});
