/**
 * Start-up of the real `main.ts serve` process: the banner, the warning on a non-loopback bind,
 * refusals for auth off beyond loopback and for weak keys, and how the key is shown.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { E2E_KEY, HeraldProcess } from "./herald_process.ts";

// Nothing in these tests calls the model: an unreachable upstream is fine.
const UPSTREAM = "http://127.0.0.1:9/v1";

/** Starts a process expected to refuse to start; returns its exit code and output. */
async function refused(env: Record<string, string>) {
  await using herald = await HeraldProcess.start(UPSTREAM, { env, waitForBanner: false });
  const status = await herald.status();
  return { code: status.code, stdout: herald.stdout, stderr: herald.stderr };
}

Deno.test("binding 0.0.0.0 warns and names the active protections", async () => {
  await using herald = await HeraldProcess.start(UPSTREAM, {
    env: {
      API_SERVER_HOST: "0.0.0.0",
      API_SERVER_KEYS: "second-key-4b1e9d07c3a2",
      API_SERVER_ALLOWED_HOSTS: "herald.lan",
    },
  });
  const warning = herald.stdout.split("\n").find((l) => /warning/i.test(l));
  assert.ok(warning, herald.stdout);
  assert.match(warning, /^ {2}warning: listening on 0\.0\.0\.0:\d+, reachable from other machines/);
  assert.match(warning, /2 API keys/);
  assert.match(warning, /allowed hosts herald\.lan/);
  assert.match(warning, /no browser origins/);
  assert.match(warning, /failed-auth throttling/);
  // Still serving, with the Host check on because allowed_hosts is set.
  const health = await fetch(`${herald.url}/health`);
  assert.equal(health.status, 200);
  await health.body?.cancel();
});

Deno.test("auth switched off on 0.0.0.0 refuses to start with a clear message", async () => {
  const run = await refused({ API_SERVER_HOST: "0.0.0.0", API_SERVER_AUTH: "false" });
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /Refusing to start: api_server\.auth is false while binding 0\.0\.0\.0/);
  assert.ok(!run.stderr.includes("    at "), "no stack trace");
  assert.ok(!/API\s+http/.test(run.stdout), "no banner: it never listened");
});

Deno.test("a weak API_SERVER_KEY refuses to start with a clear message", async () => {
  const run = await refused({ API_SERVER_KEY: "changeme" });
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /api_server\.key: the key from API_SERVER_KEY is 8 characters long/);
  assert.ok(!run.stderr.includes("    at "), "no stack trace");
});

Deno.test("the banner masks a configured key", async () => {
  await using herald = await HeraldProcess.start(UPSTREAM);
  assert.ok(!herald.stdout.includes(E2E_KEY), herald.stdout);
  assert.match(herald.stdout, /API key {5}e2e-…3e60 {3}\(from configuration/);
});

Deno.test("a generated key is printed in full only by the start that made it", async () => {
  const home = await Deno.makeTempDir({ prefix: "herald_e2e_" });
  try {
    const env = { API_SERVER_KEY: "" };
    let key: string;
    {
      await using first = await HeraldProcess.start(UPSTREAM, { home, env });
      key = (await Deno.readTextFile(join(home, "api_key"))).trim();
      assert.ok(first.stdout.includes(`${key}   (generated, kept in ${join(home, "api_key")})`));
    }
    await using second = await HeraldProcess.start(UPSTREAM, { home, env });
    assert.ok(!second.stdout.includes(key), second.stdout);
    assert.match(second.stdout, /herald key/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
