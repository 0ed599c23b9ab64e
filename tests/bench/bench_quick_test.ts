import assert from "node:assert/strict";
import { join } from "node:path";
import { SECTIONS } from "../../bench/sections.ts";

const RUN = new URL("../../bench/run.ts", import.meta.url).pathname;

Deno.test("bench --quick exits 0 and writes results with every section", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herald-bench-test-" });
  try {
    const out = join(dir, "results.json");
    const result = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--unstable-kv",
        "--unstable-worker-options",
        RUN,
        "--quick",
        "--out",
        out,
      ],
      stdout: "piped",
      stderr: "piped",
      // Only a bound against a hang: a loaded machine runs the quick sections slowly.
      signal: AbortSignal.timeout(600_000),
    }).output();
    const stdout = new TextDecoder().decode(result.stdout);
    const stderr = new TextDecoder().decode(result.stderr);
    assert.equal(result.code, 0, `bench --quick failed:\n${stdout}\n${stderr}`);
    const results = JSON.parse(await Deno.readTextFile(out));
    assert.equal(results.meta.quick, true);
    for (const name of SECTIONS) {
      assert.equal(typeof results[name], "object", `section ${name} is missing`);
      assert.ok(!("error" in results[name]), `section ${name} failed: ${results[name].error}`);
    }
    // The baselines really carried the streams the gateway is compared with.
    const concurrent = results.streaming.concurrent;
    assert.equal(concurrent.proxy.completed, concurrent.streams);
    assert.equal(concurrent.js_relay.completed, concurrent.streams);
    assert.ok(concurrent.js_relay.peak_rss_mb > 0);
    // One round in a quick run; each kind's peak is listed per run.
    assert.equal(concurrent.rounds, 1);
    for (const kind of [concurrent, concurrent.proxy, concurrent.js_relay]) {
      assert.deepEqual(kind.peak_rss_mb_runs, [kind.peak_rss_mb]);
    }
    assert.ok(results.targets.length > 0);
    // Quick runs check no thresholds.
    assert.ok(results.targets.every((t: { met: unknown }) => t.met === null));
    assert.match(stdout, /measure\s+value/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
