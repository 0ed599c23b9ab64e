/**
 * The sandbox through real turns: a whole gateway on a temporary HERALD_HOME, the fake upstream
 * asking for tool calls, and marker files in temporary folders outside the workspace that every
 * destructive command must leave intact. Nothing here touches the real home or /: the commands
 * run inside bubblewrap, and a preflight proves the sandbox confines before any of them runs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { startTestGateway, type TestGateway } from "../fakes/test_gateway.ts";

const KEY = "gateway-key-sandbox-3e8a1f0c";
const UPSTREAM_KEY = "sk-upstream-sandbox-secret-77aa";
const HEADERS = { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" };

interface World {
  llm: FakeLlm;
  g: TestGateway;
  workspace: string;
  /** A fake home folder outside the workspace, with a marker file. */
  fakeHome: string;
  /** Another folder outside everything, with a marker file. */
  outside: string;
  [Symbol.asyncDispose](): Promise<void>;
}

async function world(configYaml = ""): Promise<World> {
  const llm = await FakeLlm.start();
  const outsideRoot = await Deno.realPath(await Deno.makeTempDir({ prefix: "herald_sbx_out_" }));
  const fakeHome = join(outsideRoot, "home", "ada");
  const outside = join(outsideRoot, "elsewhere");
  await Deno.mkdir(fakeHome, { recursive: true });
  await Deno.mkdir(outside);
  await Deno.writeTextFile(join(fakeHome, "marker"), "home marker");
  await Deno.writeTextFile(join(outside, "marker"), "outside marker");
  // Approvals off: these tests prove the sandbox holds even when nobody is asked first.
  const g = await startTestGateway({
    upstream: llm.baseUrl,
    key: KEY,
    configYaml: `approvals:\n  api_server: never\n${configYaml}`,
    env: { OPENAI_API_KEY: UPSTREAM_KEY },
  });
  await Deno.writeTextFile(join(g.home, "marker"), "herald home marker");
  const workspace = join(g.home, "workspace");
  return {
    llm,
    g,
    workspace,
    fakeHome,
    outside,
    async [Symbol.asyncDispose]() {
      await g.close();
      await llm.close();
      await Deno.remove(outsideRoot, { recursive: true });
    },
  };
}

/** Runs one turn in which the model calls `terminal` with each command; returns the results. */
async function terminalTurn(w: World, commands: string[], timeout = 20): Promise<string[]> {
  w.llm.enqueue({
    toolCalls: commands.map((command, i) => ({
      id: `call_${i}`,
      name: "terminal",
      arguments: JSON.stringify({ command, timeout }),
    })),
  });
  w.llm.enqueue({ text: "done" });
  const response = await fetch(`${w.g.gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ model: "herald", messages: [{ role: "user", content: "go" }] }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  await response.json();
  const request = w.llm.requests.at(-1)!;
  return request.body.messages
    .filter((m: { role: string }) => m.role === "tool")
    .map((m: { content: string }) => m.content);
}

async function assertMarkersIntact(w: World): Promise<void> {
  assert.equal(await Deno.readTextFile(join(w.fakeHome, "marker")), "home marker");
  assert.equal(await Deno.readTextFile(join(w.outside, "marker")), "outside marker");
  assert.equal(await Deno.readTextFile(join(w.g.home, "marker")), "herald home marker");
  assert.ok((await Deno.stat(join(w.g.home, "config.yaml"))).isFile);
}

/** Proves the sandbox confines before anything destructive is sent to it. */
async function preflight(w: World): Promise<void> {
  assert.equal(w.g.gateway.runtime.sandbox.confined, true, "bubblewrap must be available");
  const probe = join(w.outside, "preflight");
  const [result] = await terminalTurn(w, [`touch ${probe}; echo exit=$?`]);
  assert.match(result, /exit=1/);
  await assert.rejects(Deno.stat(probe), Deno.errors.NotFound);
}

Deno.test("destructive commands aimed at home, $HERALD_HOME and / leave every marker intact", async () => {
  await using w = await world();
  await preflight(w);
  const home = w.fakeHome;
  const results = await terminalTurn(w, [
    `HOME=${home}; rm -rf "$HOME"/`,
    `HOME=${home}; if true; then rm -rf ~; fi`,
    `HOME=${home}; for d in ~; do rm -rf "$d"; done`,
    `rm -rf ${home} ${w.outside} ${w.g.home}`,
    `find -L ${home} ${w.outside} -delete`,
    `r\\m --recur -f ${w.outside}`,
    `setsid rm -rf ${w.g.home}`,
    `rm -rf --no-preserve-root / 2>/dev/null; echo rm-root-exit=$?`,
    `dd if=/dev/zero of=/dev/sda bs=1k count=1 2>&1 | tail -1`,
  ]);
  assert.equal(results.length, 9);
  assert.match(results[7], /rm-root-exit=1/);
  await assertMarkersIntact(w);
  // The workspace is the one writable place, so `rm -rf /` may empty it; that is the deal.
});

Deno.test("the terminal sees neither the gateway's /proc nor its secrets", async () => {
  await using w = await world();
  await preflight(w);
  const [procs, environ, env, herald] = await terminalTurn(w, [
    "ls /proc | grep -E '^[0-9]+$' | wc -l",
    "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c -E 'sandbox-secret|sandbox-3e8a' || true",
    "env",
    `ls -a ${w.g.home}; cat ${join(w.g.home, "config.yaml")} 2>&1 | head -2`,
  ]);
  // Only the sandbox's own few processes exist in its PID namespace.
  const count = Number(/stdout:\n(\d+)/.exec(procs)?.[1]);
  assert.ok(count > 0 && count < 10, procs);
  assert.match(environ, /stdout:\n0/);
  assert.doesNotMatch(env, /OPENAI_API_KEY|HERALD_|API_SERVER_KEY/);
  assert.doesNotMatch(JSON.stringify(w.llm.requests), /sk-upstream-sandbox-secret-77aa/);
  assert.doesNotMatch(herald, /max_retries/, "config.yaml in $HERALD_HOME is not readable");
});

Deno.test("capabilities are dropped and the network is off by default", async () => {
  await using w = await world();
  await preflight(w);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    const [caps, net] = await terminalTurn(w, [
      "grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status",
      `(exec 3<>/dev/tcp/127.0.0.1/${port}) 2>&1; echo net-exit=$?`,
    ]);
    assert.match(caps, /CapEff:\s+0000000000000000/);
    assert.match(caps, /CapPrm:\s+0000000000000000/);
    assert.match(caps, /CapBnd:\s+0000000000000000/);
    assert.match(net, /net-exit=1/);
  } finally {
    listener.close();
  }
});

Deno.test("tools.sandbox_network: true lets commands reach the network", async () => {
  await using w = await world("tools:\n  sandbox_network: true\n");
  await preflight(w);
  const [net] = await terminalTurn(w, [
    `(exec 3<>/dev/tcp/127.0.0.1/${new URL(w.llm.baseUrl).port}) && echo net-ok`,
  ]);
  assert.match(net, /net-ok/);
});

Deno.test("read-only mode: the terminal cannot write the workspace and write_file refuses", async () => {
  await using w = await world("tools:\n  sandbox: read-only\n");
  await preflight(w);
  const [touch] = await terminalTurn(w, ["touch made-here; echo exit=$?"]);
  assert.match(touch, /Read-only file system/);
  w.llm.enqueue({
    toolCalls: [{ name: "write_file", arguments: '{"path":"a.txt","content":"x"}' }],
  });
  w.llm.enqueue({ text: "done" });
  const response = await fetch(`${w.g.gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ model: "herald", messages: [{ role: "user", content: "go" }] }),
  });
  await response.json();
  const tool = w.llm.requests.at(-1)!.body.messages.find((m: { role: string }) =>
    m.role === "tool"
  );
  assert.match(tool.content, /sandbox is read-only/);
  await assert.rejects(Deno.stat(join(w.workspace, "a.txt")), Deno.errors.NotFound);
});

Deno.test("a fork bomb dies alone at the process limit, and the gateway keeps answering", async () => {
  // Limits first: 64 processes and a 5 s timeout, so even a broken limit cannot hurt the machine.
  await using w = await world("tools:\n  sandbox_limits:\n    processes: 64\n");
  await preflight(w);
  const [bomb, after] = await terminalTurn(w, [
    "b() { b | b & }; b; sleep 3; echo survived",
    "echo still-working",
  ], 5);
  assert.match(bomb, /^exit code: /);
  assert.match(bomb, /Resource temporarily unavailable|retry/, "the bomb hit the limit");
  assert.match(after, /still-working/);
  // Every process of the call is gone: its cgroups (when Herald could make them) were removed.
  const left = await Array.fromAsync(Deno.readDir("/sys/fs/cgroup/pids")).catch(() => []);
  assert.deepEqual(
    left.map((e) => e.name).filter((n) => n.startsWith(`herald-sandbox-${Deno.pid}-`)),
    [],
  );
  const health = await fetch(`${w.g.gateway.url}/health`);
  assert.equal(health.status, 200);
  await health.body?.cancel();
});

/** Starts a streamed turn whose model calls `tool` with `args`; the client leaves mid-call. */
async function streamedToolTurn(w: World, tool: string, args: unknown) {
  // No follow-up reply: the client leaves while the tool runs, so the turn never asks again.
  w.llm.enqueue({ toolCalls: [{ name: tool, arguments: JSON.stringify(args) }] });
  const client = new AbortController();
  const response = await fetch(`${w.g.gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: HEADERS,
    signal: client.signal,
    body: JSON.stringify({
      model: "herald",
      stream: true,
      messages: [{ role: "user", content: "go" }],
    }),
  });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  /** Reads the stream until `text` has appeared (or the stream ends). */
  const until = async (text: string) => {
    while (!seen.includes(text)) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += decoder.decode(value);
    }
  };
  return {
    until,
    text: () => seen,
    leave: async () => {
      client.abort();
      await reader.cancel().catch(() => {});
    },
  };
}

/** Host processes (not zombies) whose command line contains `needle`. */
async function processesWith(needle: string): Promise<string[]> {
  const out = await new Deno.Command("ps", { args: ["-e", "-o", "stat=,args="] }).output();
  return new TextDecoder().decode(out.stdout).split("\n").map((l) => l.trim())
    .filter((l) => l.includes(needle) && !l.startsWith("Z") && !l.includes("ps -e"));
}

/** Waits until `check` holds, polling (no time bound here: the test's own timeout is the bound). */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

Deno.test("/health answers while a tool burns CPU, and the client leaving kills the tool", async () => {
  await using w = await world();
  await preflight(w);
  const turn = await streamedToolTurn(w, "terminal", {
    command: "echo burning; while :; do :; done # burn-7f3a",
    timeout: 120,
  });
  await turn.until("terminal");
  await eventually(async () => (await processesWith("burn-7f3a")).length > 0);
  for (let i = 0; i < 5; i++) {
    const health = await fetch(`${w.g.gateway.url}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  }
  await turn.leave();
  await eventually(async () => (await processesWith("burn-7f3a")).length === 0);
});

Deno.test("a FIFO: read_file refuses it at once; cat on it is killed when the client leaves", async () => {
  await using w = await world();
  await preflight(w);
  const fifo = join(w.workspace, "pipe-5d1c");
  await new Deno.Command("mkfifo", { args: [fifo] }).output();
  w.llm.enqueue({ toolCalls: [{ name: "read_file", arguments: '{"path":"pipe-5d1c"}' }] });
  w.llm.enqueue({ text: "done" });
  const response = await fetch(`${w.g.gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ model: "herald", messages: [{ role: "user", content: "read" }] }),
  });
  await response.json();
  const tool = w.llm.requests.at(-1)!.body.messages.find((m: { role: string }) =>
    m.role === "tool"
  );
  assert.match(tool.content, /not a regular file/);

  const turn = await streamedToolTurn(w, "terminal", { command: "cat pipe-5d1c", timeout: 120 });
  await turn.until("terminal");
  await eventually(async () => (await processesWith("cat pipe-5d1c")).length > 0);
  const health = await fetch(`${w.g.gateway.url}/health`);
  assert.equal(health.status, 200);
  await health.body?.cancel();
  await turn.leave();
  await eventually(async () => (await processesWith("cat pipe-5d1c")).length === 0);
  // The run slot is free again: a new turn runs.
  const [after] = await terminalTurn(w, ["echo next-turn"]);
  assert.match(after, /next-turn/);
});

Deno.test("a catastrophic regex does not freeze the gateway: search_files answers", async () => {
  await using w = await world();
  await Deno.writeTextFile(join(w.workspace, "evil.txt"), ("a".repeat(30) + "b\n").repeat(2000));
  w.llm.enqueue({ toolCalls: [{ name: "search_files", arguments: '{"pattern":"^(a+)+$"}' }] });
  w.llm.enqueue({ text: "done" });
  const pending = fetch(`${w.g.gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ model: "herald", messages: [{ role: "user", content: "search" }] }),
  });
  const health = await fetch(`${w.g.gateway.url}/health`);
  assert.equal(health.status, 200);
  await health.body?.cancel();
  await (await pending).json();
  const tool = w.llm.requests.at(-1)!.body.messages.find((m: { role: string }) =>
    m.role === "tool"
  );
  assert.match(tool.content, /^No matches in \./);
});

Deno.test("the banner names the sandbox; tools.sandbox: off is a loud warning", async () => {
  await using on = await world();
  const banner = on.g.log.join("\n");
  assert.match(banner, /Sandbox +bubblewrap [\d.]+, workspace-write, network off, at most 256/);
  assert.doesNotMatch(banner, /warning: the sandbox is OFF/);
  await using off = await world("tools:\n  sandbox: off\n");
  const offBanner = off.g.log.join("\n");
  assert.match(offBanner, /Sandbox +OFF \(tools\.sandbox: off\)/);
  assert.match(offBanner, /warning: the sandbox is OFF: terminal and file tools run with/);
});
