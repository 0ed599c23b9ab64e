import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const MODULE = fileURLToPath(new URL("../../lib/stderr_line.ts", import.meta.url));

/** Runs `body` in a fresh Deno with the module imported as `s`; returns its stderr and code. */
async function run(body: string): Promise<{ stderr: string; code: number }> {
  const script = `import * as s from ${JSON.stringify(MODULE)};\n${body}`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  return { stderr: new TextDecoder().decode(out.stderr), code: out.code };
}

Deno.test("queued lines are written in order, after the task, and before a synchronous line", async () => {
  const { stderr } = await run(`
    s.queueStderrLine("a");
    s.queueStderrLine("b");
    s.writeStderrLine("c");
    s.queueStderrLine("d");
    await Promise.resolve();
    s.queueStderrLine("e");
    setTimeout(() => s.queueStderrLine("f"), 1);
  `);
  assert.equal(stderr, "a\nb\nc\nd\ne\nf\n");
});

Deno.test("queued lines are not lost when the process exits at once or on an uncaught error", async () => {
  const exited = await run(`
    s.queueStderrLine("one");
    s.queueStderrLine("two");
    Deno.exit(3);
  `);
  assert.equal(exited.code, 3);
  assert.equal(exited.stderr, "one\ntwo\n");
  const crashed = await run(`
    s.queueStderrLine("before the crash");
    throw new Error("boom");
  `);
  assert.notEqual(crashed.code, 0);
  assert.ok(crashed.stderr.startsWith("before the crash\n"), crashed.stderr);
  assert.match(crashed.stderr, /boom/);
  const crashedLater = await run(`
    setTimeout(() => {
      s.queueStderrLine("in a later task");
      throw new Error("bang");
    }, 1);
  `);
  assert.notEqual(crashedLater.code, 0);
  assert.ok(crashedLater.stderr.startsWith("in a later task\n"), crashedLater.stderr);
});
