import assert from "node:assert/strict";
import { join } from "node:path";
import { type AuditRecord, AuditTrail, followAuditTrail, readAuditTrail } from "../../store/mod.ts";

function record(tool: string, n: number, time = new Date().toISOString()): AuditRecord {
  return {
    time,
    front_door: "api_server",
    actor: "key:ci",
    tool,
    arguments: { n },
    outcome: "ok",
    duration_ms: n,
  };
}

Deno.test("the trail rotates past max_bytes, keeps `keep` files and reads back oldest first", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herald_audit_" });
  try {
    const trail = new AuditTrail(dir, { maxBytes: 400, keep: 2 });
    for (let n = 0; n < 20; n++) trail.append(record("terminal", n));
    await trail.close();
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["audit.1.jsonl", "audit.2.jsonl", "audit.jsonl"]);
    const records = await readAuditTrail(dir);
    const ns = records.map((r) => (r.arguments as { n: number }).n);
    assert.deepEqual(ns, [...ns].sort((a, b) => a - b), "oldest first");
    assert.equal(ns.at(-1), 19);
    assert.ok(ns.length < 20, "the oldest rotated file was dropped");
    for (const name of names) {
      assert.equal(Deno.statSync(join(dir, name)).mode! & 0o777, 0o600);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("filters by tool and time", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herald_audit_" });
  try {
    const trail = new AuditTrail(dir);
    trail.append(record("terminal", 1, "2020-01-01T00:00:00.000Z"));
    trail.append(record("read_file", 2));
    trail.append(record("terminal", 3));
    await trail.close();
    const recent = await readAuditTrail(dir, { since: Date.parse("2025-01-01") });
    assert.deepEqual(recent.map((r) => r.duration_ms), [2, 3]);
    const terminal = await readAuditTrail(dir, { tool: "terminal" });
    assert.deepEqual(terminal.map((r) => r.duration_ms), [1, 3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("follow yields records another writer appends, across a rotation", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herald_audit_" });
  const stop = new AbortController();
  try {
    const trail = new AuditTrail(dir, { maxBytes: 300 });
    trail.append(record("old", 0));
    await trail.flushed();
    const seen: number[] = [];
    const following = (async () => {
      for await (const r of followAuditTrail(dir, { signal: stop.signal, intervalMs: 20 })) {
        seen.push(r.duration_ms);
        if (seen.length === 6) stop.abort();
      }
    })();
    for (let n = 1; n <= 6; n++) {
      trail.append(record("terminal", n));
      await trail.flushed();
      // Let the follower see each record before the next one may rotate the file.
      while (!seen.includes(n) && !stop.signal.aborted) {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    await following;
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6], "only new records, none lost at the rotation");
  } finally {
    stop.abort();
    await Deno.remove(dir, { recursive: true });
  }
});
