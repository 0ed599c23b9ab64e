import assert from "node:assert/strict";
import { SIGNAL_ECHO_WINDOW_MS, SignalDeduper } from "../../server/signals.ts";

Deno.test("a signal echoed within the window is dropped; a later one counts", () => {
  const dedupe = new SignalDeduper(400);
  assert.equal(dedupe.accept(10_000), true, "the first signal");
  assert.equal(dedupe.accept(10_002), false, "the launcher's forwarded copy");
  assert.equal(dedupe.accept(10_400), false, "still the same keypress");
  assert.equal(dedupe.accept(10_900), true, "a deliberate second Ctrl-C");
  assert.equal(dedupe.accept(10_901), false, "and its echo");
});

Deno.test("the default echo window is a fraction of a second", () => {
  assert.ok(SIGNAL_ECHO_WINDOW_MS >= 300 && SIGNAL_ECHO_WINDOW_MS <= 500);
});
