import assert from "node:assert/strict";
import { authThrottle, bodyDeadline } from "../../server/guards/mod.ts";
import { webhookRoute } from "../../server/mod.ts";
import { rawExchange, serveApp } from "./guards/harness.ts";

/** A webhook whose platform code reads the request itself, as Telegram's and Slack's do. */
function hook(seen: unknown[]) {
  const secretOf = async (req: Request) => (await req.json()).secret;
  return webhookRoute({
    path: "/hook",
    handle: async (req) => {
      const body = await req.json();
      if (body.secret !== "s3cret") return new Response("Forbidden", { status: 403 });
      seen.push(body);
      return new Response("ok");
    },
    verify: async (req) => await secretOf(req) === "s3cret",
  });
}

const STALLED = "POST /hook HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
  'Content-Length: 100\r\nConnection: close\r\n\r\n{"sec';

function deliver(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/hook`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

Deno.test("a webhook gets its body under the deadline, in its handler and in the throttle's check", async () => {
  const seen: unknown[] = [];
  const app = serveApp([bodyDeadline({ idleMs: 200 }), authThrottle({ maxFailures: 1 })], {
    routes: [hook(seen)],
  });
  try {
    // A stalled delivery is a 408, not a handler waiting for ever.
    const stalled = await rawExchange(app.port, STALLED, { untilResponse: true });
    assert.equal(stalled.status, 408);
    assert.ok(stalled.status !== null && /body_timeout/.test(stalled.body));

    // A complete one reaches the platform code whole.
    const ok = await deliver(app.url, { secret: "s3cret", update: 1 });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    assert.deepEqual(seen, [{ secret: "s3cret", update: 1 }]);

    // A wrong secret counts against the throttle; from then on the throttle checks the secret
    // itself before letting a delivery through, reading the body under the same deadline.
    const wrong = await deliver(app.url, { secret: "nope" });
    assert.equal(wrong.status, 403);
    await wrong.body?.cancel();
    const throttled = await deliver(app.url, { secret: "nope" });
    assert.equal(throttled.status, 429);
    await throttled.body?.cancel();
    const platform = await deliver(app.url, { secret: "s3cret", update: 2 });
    assert.equal(platform.status, 200);
    await platform.body?.cancel();
    assert.deepEqual(seen.at(-1), { secret: "s3cret", update: 2 });
    const stalledThrottled = await rawExchange(app.port, STALLED, { untilResponse: true });
    assert.equal(stalledThrottled.status, 408);
  } finally {
    await app.close();
  }
});
