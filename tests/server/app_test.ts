import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { createApp } from "../../server/mod.ts";
import { requestLog, securityHeaders } from "../../server/guards/mod.ts";

const info = {
  remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
} as unknown as Deno.ServeHandlerInfo;

Deno.test("an unexpected error is a generic 500 for the client and its cause is logged", async () => {
  const logged: string[] = [];
  const app = createApp({
    routes: [{
      method: "GET",
      path: "/boom",
      auth: false,
      handler: () => {
        throw new Error("secret detail at /home/me");
      },
    }],
    apiKeys: () => [],
    onUnexpectedError: (error, ctx) => logged.push(`${ctx.requestId} ${(error as Error).message}`),
  });
  const res = await app(
    new Request("http://127.0.0.1/boom", { headers: { "x-request-id": "r1" } }),
    info,
  );
  assertEquals(res.status, 500);
  const body = await res.json();
  assert(!body.error.message.includes("secret"), "no detail leaks to the client");
  assertEquals(body.error.code, "internal_error");
  assertEquals(logged, ["r1 secret detail at /home/me"]);
  assertEquals(res.headers.get("x-request-id"), "r1");
});

Deno.test("an unexpected error inside a guard is logged once, with its cause and request id", async () => {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  try {
    const app = createApp({
      routes: [{
        method: "GET",
        path: "/boom",
        auth: false,
        handler: () => {
          throw new Error("cannot read the index", {
            cause: new Error("EACCES: permission denied"),
          });
        },
      }],
      apiKeys: () => [],
      // Both settle errors into responses before the app's own handler would see them.
      middleware: [securityHeaders(), requestLog({ log: () => {} })],
    });
    const res = await app(
      new Request("http://127.0.0.1/boom", { headers: { "x-request-id": "guard-7" } }),
      info,
    );
    assertEquals(res.status, 500);
    assertEquals((await res.json()).error.code, "internal_error");
  } finally {
    console.error = original;
  }
  assertEquals(lines.length, 1);
  assert(lines[0].includes("guard-7"), lines[0]);
  assert(lines[0].includes("cannot read the index"), lines[0]);
  assert(lines[0].includes("Caused by: Error: EACCES: permission denied"), lines[0]);
});
