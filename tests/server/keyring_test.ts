import assert from "node:assert/strict";
import { join } from "node:path";
import { addNamedKey, revokeNamedKey, rotateNamedKey } from "../../config/mod.ts";
import { createApp } from "../../server/app.ts";
import { Keyring, tokenDigest } from "../../server/keyring.ts";
import { callerScope } from "../../server/approvals.ts";
import type { RequestContext } from "../../server/router.ts";
import { jsonResponse } from "../../server/error_envelope.ts";

async function withServer(
  body: (url: string, home: string, keyring: Keyring) => Promise<void>,
): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "herald_keyring_" });
  const keyring = new Keyring({
    keys: [{ name: "default", scope: "full", key: "default-key-5c2e9a7b1d04" }],
    file: join(home, "keys.json"),
    onFileError: () => {},
  });
  const handler = createApp({
    routes: [
      {
        method: "GET",
        path: "/v1/whoami",
        handler: (_req, ctx) => jsonResponse({ key: ctx.key?.name, scope: ctx.key?.scope }),
      },
      { method: "POST", path: "/v1/write", handler: () => jsonResponse({ ok: true }) },
    ],
    keys: keyring,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  try {
    await body(`http://127.0.0.1:${server.addr.port}`, home, keyring);
  } finally {
    await server.shutdown();
    await Deno.remove(home, { recursive: true });
  }
}

async function call(url: string, key: string, method = "GET", path = "/v1/whoami") {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: method === "POST" ? "{}" : undefined,
  });
  return { status: res.status, body: await res.json() };
}

Deno.test("a key added to keys.json works on its next request and a revoked one is refused", async () => {
  await withServer(async (url, home) => {
    const alice = await addNamedKey(home, "alice");
    assert.deepEqual(await call(url, alice.key), {
      status: 200,
      body: { key: "alice", scope: "full" },
    });
    assert.ok(await revokeNamedKey(home, "alice"));
    const refused = await call(url, alice.key);
    assert.equal(refused.status, 401);
    // The configured key is untouched.
    assert.equal((await call(url, "default-key-5c2e9a7b1d04")).body.key, "default");
  });
});

Deno.test("rotating a named key refuses the old value and keeps the name", async () => {
  await withServer(async (url, home) => {
    const old = await addNamedKey(home, "bob", { scope: "chat" });
    assert.equal((await call(url, old.key)).status, 200);
    const fresh = (await rotateNamedKey(home, "bob"))!;
    assert.equal((await call(url, old.key)).status, 401);
    assert.deepEqual((await call(url, fresh.key)).body, { key: "bob", scope: "chat" });
  });
});

Deno.test("a read-scoped key may read but not write (403, not 401)", async () => {
  await withServer(async (url, home) => {
    const reader = await addNamedKey(home, "dashboard", { scope: "read" });
    assert.equal((await call(url, reader.key)).status, 200);
    const write = await call(url, reader.key, "POST", "/v1/write");
    assert.equal(write.status, 403);
    assert.equal(write.body.error.code, "insufficient_scope");
  });
});

Deno.test("keys.json keeps only hashes, owner-only, and a broken file refuses its keys", async () => {
  await withServer(async (url, home, keyring) => {
    const carol = await addNamedKey(home, "carol");
    const text = await Deno.readTextFile(join(home, "keys.json"));
    assert.ok(!text.includes(carol.key), "the key itself is not stored");
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(join(home, "keys.json"))).mode! & 0o777, 0o600);
    }
    assert.equal((await call(url, carol.key)).status, 200);
    await Deno.writeTextFile(join(home, "keys.json"), "{ not json");
    assert.equal((await call(url, carol.key)).status, 401);
    assert.deepEqual(keyring.names(), ["default"]);
  });
});

Deno.test("deleting keys.json refuses its keys; writing it again accepts them, the configured key throughout", async () => {
  await withServer(async (url, home) => {
    const file = join(home, "keys.json");
    const dave = await addNamedKey(home, "dave");
    assert.equal((await call(url, dave.key)).status, 200);
    const saved = await Deno.readTextFile(file);
    await Deno.remove(file);
    assert.equal((await call(url, dave.key)).status, 401);
    assert.equal((await call(url, "default-key-5c2e9a7b1d04")).body.key, "default");
    await Deno.writeTextFile(file, saved);
    assert.equal((await call(url, dave.key)).body.key, "dave");
    await Deno.writeTextFile(file, "{ broken");
    assert.equal((await call(url, dave.key)).status, 401);
    assert.equal((await call(url, "default-key-5c2e9a7b1d04")).body.key, "default");
  });
});

Deno.test("names are unique and checked", async () => {
  const home = await Deno.makeTempDir({ prefix: "herald_keyring_" });
  try {
    await addNamedKey(home, "alice");
    await assert.rejects(addNamedKey(home, "ALICE"), /already exists/);
    await assert.rejects(addNamedKey(home, "default"), /already exists/);
    await assert.rejects(addNamedKey(home, "bob", { taken: ["bob"] }), /already exists/);
    await assert.rejects(addNamedKey(home, "no spaces"), /not a key name/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a key found by its digest is the key found by its value, and the approvals fingerprint is the same either way", async () => {
  const home = await Deno.makeTempDir({ prefix: "herald_keyring_" });
  try {
    const ring = new Keyring({
      keys: [{ name: "default", scope: "full", key: "default-key-5c2e9a7b1d04" }],
      file: join(home, "keys.json"),
    });
    const erin = await addNamedKey(home, "erin", { scope: "chat" });
    for (const token of ["default-key-5c2e9a7b1d04", erin.key, "not-a-key-at-all-0000"]) {
      assert.deepEqual(ring.identifyDigest(tokenDigest(token)), ring.identify(token));
      const req = new Request("http://localhost/", {
        headers: { Authorization: `Bearer ${token}` },
      });
      const ctx = { tokenDigest: tokenDigest(token) } as RequestContext;
      assert.equal(await callerScope(req, ctx), await callerScope(req));
    }
    assert.deepEqual(ring.identifyDigest(tokenDigest(erin.key)), { name: "erin", scope: "chat" });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
