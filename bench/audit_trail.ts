/**
 * How fast the audit trail appends (each record written and flushed to disk before the next) and
 * how long `herald audit` takes to read a full 10 MB trail. Run on its own:
 * `deno run -A bench/audit_trail.ts`. Figures are printed, never asserted.
 * @module
 */
import { type AuditRecord, AuditTrail, readAuditTrail } from "../store/mod.ts";

function record(n: number): AuditRecord {
  return {
    time: new Date().toISOString(),
    front_door: "api_server",
    actor: "key:bench",
    conversation: "conv-bench",
    tool: "terminal",
    arguments: { command: `ls -la /tmp/folder-${n} && echo done` },
    outcome: "ok",
    duration_ms: 12,
  };
}

if (import.meta.main) {
  const dir = await Deno.makeTempDir({ prefix: "herald_bench_audit_" });
  try {
    const trail = new AuditTrail(dir, { maxBytes: 10_000_000, keep: 5 });
    const count = 2000;
    const start = performance.now();
    for (let n = 0; n < count; n++) trail.append(record(n));
    await trail.flushed();
    const appendMs = performance.now() - start;
    console.log(
      `audit append+fsync: ${count} records in ${appendMs.toFixed(0)} ms ` +
        `(${(count / (appendMs / 1000)).toFixed(0)}/s, ${(appendMs / count).toFixed(2)} ms each)`,
    );
    // Fill to ~10 MB and time a full read, as `herald audit` does.
    const filler = new AuditTrail(dir, { maxBytes: 1e12 });
    const line = JSON.stringify(record(0)) + "\n";
    const lines = Math.floor(10_000_000 / line.length);
    await Deno.writeTextFile(`${dir}/audit.jsonl`, line.repeat(lines), { append: true });
    await filler.flushed();
    const readStart = performance.now();
    const records = await readAuditTrail(dir, { tool: "terminal" });
    console.log(
      `audit read: ${records.length} records (~10 MB) in ${
        (performance.now() - readStart).toFixed(0)
      } ms`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
