import assert from "node:assert/strict";
import { Pacer } from "../../platforms/pacer.ts";
import { FakeClock } from "./fake_clock.ts";

Deno.test("a pacer runs one update at a time, spaced as told, changes in between coalesced", async () => {
  const clock = new FakeClock();
  let version = 0;
  let shown = 0;
  const runs: number[] = [];
  const pacer = new Pacer(clock, () => {
    runs.push(clock.now());
    shown = version;
    pacer.spaceBy(1000);
    return Promise.resolve();
  }, () => shown !== version);
  version++;
  pacer.schedule();
  await clock.advance(0);
  for (let i = 0; i < 5; i++) {
    version++;
    pacer.schedule();
    await clock.advance(100);
  }
  await clock.advance(1000);
  assert.deepEqual(runs, [0, 1000], "five changes while waiting made one update");
  assert.equal(shown, version);
  pacer.schedule();
  await clock.advance(5000);
  assert.equal(runs.length, 2, "nothing due, nothing run");
});

Deno.test("a stopped pacer drops the planned update; waitTurn waits out the spacing", async () => {
  const clock = new FakeClock();
  const runs: number[] = [];
  const pacer = new Pacer(clock, () => {
    runs.push(clock.now());
    return Promise.resolve();
  }, () => true);
  pacer.spaceBy(2000);
  pacer.schedule();
  await pacer.stop();
  await clock.advance(3000);
  assert.deepEqual(runs, []);
  pacer.spaceBy(500);
  assert.equal(pacer.waitMs(), 500);
  await clock.runUntil(pacer.waitTurn());
  assert.equal(pacer.waitMs(), 0);
});
