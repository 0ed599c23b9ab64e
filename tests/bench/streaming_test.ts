import assert from "node:assert/strict";
import { medianRun, type StreamsRun } from "../../bench/streaming.ts";

function run(peak: number, completed = 1000, failed = 0): StreamsRun {
  return {
    completed,
    failed,
    wall_s: peak / 100,
    rss_before_mb: 90,
    peak_rss_mb: peak,
    vm_hwm_mb: peak + 1,
  };
}

Deno.test("medianRun takes the run with the median peak and keeps every peak in order", () => {
  const median = medianRun([run(339), run(300), run(305)]);
  assert.equal(median.peak_rss_mb, 305);
  // The other figures are that run's own.
  assert.equal(median.wall_s, 3.05);
  assert.equal(median.vm_hwm_mb, 306);
  assert.deepEqual(median.peak_rss_mb_runs, [339, 300, 305]);
});

Deno.test("medianRun shows a failure in any run, not only the median one", () => {
  const median = medianRun([run(300), run(305, 990, 10), run(310)]);
  assert.equal(median.peak_rss_mb, 305);
  assert.equal(median.completed, 990);
  assert.equal(median.failed, 10);
  const other = medianRun([run(300, 998, 2), run(305), run(310)]);
  assert.equal(other.completed, 998);
  assert.equal(other.failed, 2);
});

Deno.test("medianRun takes the lower middle of an even number of runs, and one run as it is", () => {
  assert.equal(medianRun([run(320), run(300), run(310), run(330)]).peak_rss_mb, 310);
  assert.deepEqual(medianRun([run(301)]), { ...run(301), peak_rss_mb_runs: [301] });
  assert.throws(() => medianRun([]), /at least one run/);
});
