import assert from "node:assert/strict";
import { hostGuard, isLoopback, parseHostHeader } from "../../../server/guards/mod.ts";
import { rawRequest, serveApp } from "./harness.ts";

function get(port: number, host: string) {
  return rawRequest(port, `GET /health HTTP/1.1\nHost: ${host}\nConnection: close\n`);
}

Deno.test("loopback bind accepts localhost, 127.0.0.1 and [::1] on any port", async () => {
  const app = serveApp([hostGuard({ bindHost: "127.0.0.1" })]);
  try {
    for (const host of ["localhost", "localhost:8642", "127.0.0.1:1", "[::1]:8642", "LOCALHOST"]) {
      assert.equal((await get(app.port, host)).status, 200, host);
    }
  } finally {
    await app.close();
  }
});

Deno.test("loopback bind rejects a rebinding Host with 421 in the error envelope", async () => {
  const app = serveApp([hostGuard({ bindHost: "127.0.0.1" })]);
  try {
    for (
      const host of ["evil.example", "evil.example:8642", "127.0.0.1.evil.example", "10.0.0.2"]
    ) {
      const res = await get(app.port, host);
      assert.equal(res.status, 421, host);
      assert.equal(JSON.parse(res.body).error.code, "host_not_allowed");
    }
  } finally {
    await app.close();
  }
});

Deno.test("names in allowed_hosts are accepted, with a port only when it matches", async () => {
  const app = serveApp([
    hostGuard({ bindHost: "127.0.0.1", allowedHosts: ["herald.lan", "box.local:9000"] }),
  ]);
  try {
    assert.equal((await get(app.port, "herald.lan:8642")).status, 200);
    assert.equal((await get(app.port, "HERALD.LAN")).status, 200);
    assert.equal((await get(app.port, "box.local:9000")).status, 200);
    assert.equal((await get(app.port, "box.local:9001")).status, 421);
    assert.equal((await get(app.port, "other.lan")).status, 421);
  } finally {
    await app.close();
  }
});

Deno.test("a non-loopback bind checks Host only when allowed_hosts is set", async () => {
  const open = serveApp([hostGuard({ bindHost: "0.0.0.0" })]);
  const listed = serveApp([hostGuard({ bindHost: "0.0.0.0", allowedHosts: ["herald.lan"] })]);
  try {
    assert.equal((await get(open.port, "anything.example")).status, 200);
    assert.equal((await get(listed.port, "herald.lan")).status, 200);
    assert.equal((await get(listed.port, "anything.example")).status, 421);
  } finally {
    await open.close();
    await listed.close();
  }
});

Deno.test("isLoopback knows loopback binds from wildcard and LAN binds", () => {
  for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]) assert.ok(isLoopback(h));
  for (const h of ["0.0.0.0", "::", "192.168.1.2", "example.com"]) assert.ok(!isLoopback(h), h);
});

Deno.test("parseHostHeader splits names, IPv6 literals and ports", () => {
  assert.deepEqual(parseHostHeader("Example.COM:80"), { name: "example.com", port: "80" });
  assert.deepEqual(parseHostHeader("[::1]:8642"), { name: "[::1]", port: "8642" });
  assert.deepEqual(parseHostHeader("[::1]"), { name: "[::1]", port: null });
  assert.deepEqual(parseHostHeader("localhost."), { name: "localhost", port: null });
});
