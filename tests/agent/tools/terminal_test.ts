import assert from "node:assert/strict";
import { join } from "node:path";
import { patchTool, ToolRegistry, writeFileTool } from "../../../agent/mod.ts";
import { MAX_STREAM_BYTES, terminalTool } from "../../../agent/tools/terminal.ts";
import { tempDir, testConfig, toolContext } from "./helpers.ts";

function registryWith(config = testConfig()): ToolRegistry {
  return new ToolRegistry().register(terminalTool(config.tools));
}

/** Living (non-zombie) host processes whose command line contains `needle`. */
async function livingWith(needle: string): Promise<string[]> {
  const out = await new Deno.Command("ps", { args: ["-e", "-o", "stat=,args="] }).output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .map((l) => l.trim())
    .filter((l) => l.includes(needle) && !l.startsWith("Z") && !/\bps\b/.test(l));
}

Deno.test("terminal runs bash in the workspace and reports exit code, stdout and stderr", async () => {
  await using ws = await tempDir();
  const result = await registryWith().call(
    "terminal",
    JSON.stringify({ command: "pwd; echo oops >&2; exit 3" }),
    toolContext(ws.path),
  );
  assert.equal(result.isError, false);
  assert.equal(result.output, `exit code: 3\n\nstdout:\n${ws.path}\n\nstderr:\noops`);
});

Deno.test("without a sandbox (tools.sandbox: off) a dangerous command is refused with blocked:", async () => {
  await using ws = await tempDir();
  const result = await registryWith(testConfig({ tools: { sandbox: "off" } })).call(
    "terminal",
    JSON.stringify({ command: "rm -rf /" }),
    toolContext(ws.path),
  );
  assert.equal(result.isError, true);
  assert.match(result.output, /^blocked: it would recursively delete .*No OS sandbox confines/s);
});

Deno.test("terminal refuses a command over 64 KB without running it", async () => {
  await using ws = await tempDir();
  const marker = join(ws.path, "ran");
  const result = await registryWith().call(
    "terminal",
    JSON.stringify({ command: `touch ${marker} #` + "x".repeat(70_000) }),
    toolContext(ws.path),
  );
  assert.equal(result.isError, true);
  assert.match(result.output, /^blocked: the command is 70\d{3} bytes; commands over 65536 bytes/);
  await assert.rejects(Deno.stat(marker), Deno.errors.NotFound);
});

Deno.test("terminal cuts the middle of oversized output and says how much", async () => {
  await using ws = await tempDir();
  const result = await registryWith().call(
    "terminal",
    JSON.stringify({ command: "head -c 200000 /dev/zero | tr '\\0' a; echo; echo END" }),
    toolContext(ws.path),
  );
  assert.match(result.output, /bytes cut from the middle \(200005 bytes in total\)/);
  assert.match(result.output, /END$/m);
  assert.ok(result.output.length < MAX_STREAM_BYTES + 1000, `output is ${result.output.length}`);
});

Deno.test("terminal kills a command that runs past its timeout", async () => {
  await using ws = await tempDir();
  const result = await registryWith().call(
    "terminal",
    JSON.stringify({ command: "sleep 30", timeout: 0.3 }),
    toolContext(ws.path),
  );
  assert.equal(result.isError, true);
  assert.match(result.output, /killed \(timed out after 0\.3 s\)/);
});

Deno.test("the model's timeout is capped at tools.terminal.max_timeout", async () => {
  await using ws = await tempDir();
  const config = testConfig({ tools: { terminal: { max_timeout: 0.3 } } });
  const result = await registryWith(config).call(
    "terminal",
    JSON.stringify({ command: "sleep 30", timeout: 500 }),
    toolContext(ws.path),
  );
  assert.match(result.output, /timed out after 0\.3 s/);
});

Deno.test("an abort kills the whole process tree", async () => {
  await using ws = await tempDir();
  const fifo = join(ws.path, "started");
  await new Deno.Command("mkfifo", { args: [fifo] }).output();
  const controller = new AbortController();
  const call = registryWith().call(
    "terminal",
    JSON.stringify({ command: `echo started; sleep 30.0417 & echo go > ${fifo}; sleep 30.0417` }),
    toolContext(ws.path, controller.signal),
  );
  // Reading the FIFO waits until the command has started its background sleep.
  await Deno.readTextFile(fifo);
  assert.ok((await livingWith("sleep 30.0417")).length >= 1, "the sleeps should be running");
  controller.abort();
  // Left alone the command would run 30 s and exit 0: "killed (interrupted)" and no sleep left
  // prove the abort ended it (how fast is for bench/, not a timing asserted here).
  const { output } = await call;
  assert.deepEqual(await livingWith("sleep 30.0417"), []);
  assert.match(output, /^exit code: killed \(interrupted\)/);
  assert.match(output, /stdout:\nstarted/, "output written before the abort is kept");
});

Deno.test("terminal does not pass the gateway's secrets to commands", async () => {
  await using ws = await tempDir();
  Deno.env.set("TELEGRAM_BOT_TOKEN", "123:should-not-leak");
  try {
    const result = await registryWith().call(
      "terminal",
      JSON.stringify({ command: 'echo "token=${TELEGRAM_BOT_TOKEN:-unset}"' }),
      toolContext(ws.path),
    );
    assert.match(result.output, /token=unset/);
  } finally {
    Deno.env.delete("TELEGRAM_BOT_TOKEN");
  }
});

Deno.test("bad terminal arguments come back as a tool error", async () => {
  await using ws = await tempDir();
  const registry = registryWith();
  const missing = await registry.call("terminal", "{}", toolContext(ws.path));
  assert.equal(missing.isError, true);
  assert.match(missing.output, /invalid arguments for terminal: command/);
  const badJson = await registry.call("terminal", "{command:", toolContext(ws.path));
  assert.match(badJson.output, /not valid JSON/);
});

Deno.test("the terminal classifies: dangerous commands only when sandboxed, every command when not", async () => {
  const sandboxed = terminalTool(testConfig().tools);
  assert.deepEqual(await sandboxed.classify({ command: "ls" }), { dangerous: false });
  assert.equal((await sandboxed.classify({ command: "rm -rf ~" })).dangerous, true);
  const unconfined = terminalTool(testConfig({ tools: { sandbox: "off" } }).tools);
  const verdict = await unconfined.classify({ command: "ls" });
  assert.equal(verdict.dangerous, true);
  assert.match(verdict.reason ?? "", /no OS sandbox confines the tools .*every call/);
});

Deno.test("write_file and patch need approval only when no sandbox confines them", async () => {
  const context = toolContext("/tmp");
  for (const sandbox of ["workspace-write", "off"] as const) {
    const registry = new ToolRegistry()
      .register(writeFileTool(testConfig({ tools: { sandbox } }).tools))
      .register(patchTool(testConfig({ tools: { sandbox } }).tools));
    const write = await registry.classify("write_file", '{"path":"a","content":"b"}', context);
    const patch = await registry.classify(
      "patch",
      '{"path":"a","old_string":"b","new_string":"c"}',
      context,
    );
    assert.equal(write.dangerous, sandbox === "off", sandbox);
    assert.equal(patch.dangerous, sandbox === "off", sandbox);
  }
});
