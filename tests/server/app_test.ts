import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { createApp } from "../../server/mod.ts";

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
