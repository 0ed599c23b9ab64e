import assert from "node:assert/strict";
import {
  runInSandbox,
  Sandbox,
  sandboxSettings,
  terminalTool,
  ToolRegistry,
} from "../../../agent/mod.ts";
import { loadConfig } from "../../../config/mod.ts";
import { tempDir, testConfig, toolContext } from "../tools/helpers.ts";

const missing = { kind: "none" as const, reason: "bubblewrap (bwrap) is not installed" };

Deno.test("without a sandbox the status says so, and how the tools behave", () => {
  const sandbox = new Sandbox(sandboxSettings(), missing);
  assert.equal(sandbox.confined, false);
  const status = sandbox.status();
  assert.equal(status.confined, false);
  assert.match(status.summary, /^UNAVAILABLE: bubblewrap \(bwrap\) is not installed; .*approval/);
  const off = new Sandbox(sandboxSettings({ mode: "off" }), missing).status();
  assert.match(off.summary, /^OFF \(tools\.sandbox: off\)/);
});

Deno.test("without a sandbox the terminal refuses dangerous commands and classifies every command", async () => {
  await using ws = await tempDir();
  const sandbox = new Sandbox(sandboxSettings(), missing);
  const tool = terminalTool(testConfig().tools, { sandbox });
  const verdict = await tool.classify({ command: "ls" });
  assert.equal(verdict.dangerous, true);
  assert.match(verdict.reason ?? "", /UNAVAILABLE/);
  const registry = new ToolRegistry().register(tool);
  const refused = await registry.call(
    "terminal",
    '{"command":"rm -rf ~"}',
    toolContext(ws.path),
  );
  assert.match(refused.output, /^blocked: .*No OS sandbox confines this gateway/s);
  const ran = await registry.call("terminal", '{"command":"echo plain"}', toolContext(ws.path));
  assert.match(ran.output, /stdout:\nplain/);
});

Deno.test("HERALD_SANDBOX and HERALD_SANDBOX_NETWORK set the mode and the network", async () => {
  await using home = await tempDir();
  const resolved = await loadConfig({
    env: { HERALD_HOME: home.path, HERALD_SANDBOX: "read-only", HERALD_SANDBOX_NETWORK: "true" },
    cwd: home.path,
  });
  assert.equal(resolved.config.tools.sandbox, "read-only");
  assert.equal(resolved.config.tools.sandbox_network, true);
  await assert.rejects(
    loadConfig({ env: { HERALD_HOME: home.path, HERALD_SANDBOX: "loose" }, cwd: home.path }),
    /HERALD_SANDBOX/,
  );
});

Deno.test("the sandbox's timeout kills the call and says why", async () => {
  await using ws = await tempDir();
  const sandbox = await Sandbox.create(sandboxSettings());
  assert.equal(sandbox.confined, true, "bubblewrap must be available");
  const result = await runInSandbox(sandbox, ["sleep", "30"], {
    layout: "terminal",
    workspace: ws.path,
    timeoutMs: 200,
    signal: new AbortController().signal,
    maxStdout: 100,
    maxStderr: 100,
  });
  assert.equal(result.ended, "timeout");
});

Deno.test("output is capped while it is read: 50 MB of output keeps 1 KB", async () => {
  await using ws = await tempDir();
  const sandbox = await Sandbox.create(sandboxSettings());
  const result = await runInSandbox(sandbox, ["bash", "-c", "head -c 50000000 /dev/zero"], {
    layout: "terminal",
    workspace: ws.path,
    timeoutMs: 60_000,
    signal: new AbortController().signal,
    maxStdout: 1024,
    maxStderr: 1024,
  });
  assert.equal(result.stdout.total, 50_000_000);
  assert.equal(result.stdout.bytes(), null, "over the cap");
  assert.ok(result.stdout.text().length < 1200);
});

Deno.test("a call that grabs more memory than tools.sandbox_limits allows is stopped", async () => {
  await using ws = await tempDir();
  // 64 MiB allowed; the command tries to hold 200 MB in one shell variable.
  const sandbox = await Sandbox.create(
    sandboxSettings({ limits: { memoryBytes: 64 * 1024 * 1024 } }),
  );
  assert.equal(sandbox.confined, true, "bubblewrap must be available");
  const result = await runInSandbox(sandbox, [
    "bash",
    "-c",
    "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived ${#x}",
  ], {
    layout: "terminal",
    workspace: ws.path,
    timeoutMs: 60_000,
    signal: new AbortController().signal,
    maxStdout: 1000,
    maxStderr: 1000,
  });
  assert.notEqual(result.code, 0);
  assert.doesNotMatch(result.stdout.text(), /survived 200000000/);
});

Deno.test("cgroups left by a Herald process that died are removed at the next start", async () => {
  const stale = "/sys/fs/cgroup/pids/herald-sandbox-999999-1";
  const made = await Deno.mkdir(stale).then(() => true, () => false);
  if (!made) return; // No writable pids cgroup here (not root): nothing is ever left behind.
  const script = 'import { cgroupSupport } from "./agent/mod.ts"; await cgroupSupport();';
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--unstable-kv", script],
    cwd: new URL("../../../", import.meta.url),
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  await assert.rejects(Deno.stat(stale), Deno.errors.NotFound);
});
