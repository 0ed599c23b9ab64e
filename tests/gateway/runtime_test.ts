import assert from "node:assert/strict";
import { ConfigSchema, type ResolvedConfig } from "../../config/mod.ts";
import type { AgentEvent, AgentTurn } from "../../agent/mod.ts";
import { openRuntime } from "../../gateway/mod.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";

/** A resolved config on a fake upstream, a temp workspace and an in-memory KV. */
async function setup(input: Record<string, unknown> = {}) {
  const llm = await FakeLlm.start();
  const workspace = await Deno.realPath(await Deno.makeTempDir({ prefix: "herald_rt_" }));
  const kv = await Deno.openKv(":memory:");
  const config = ConfigSchema.parse({
    ...input,
    model: { name: "fake-model", api_key: "sk-configured-upstream-key-42", ...(input.model ?? {}) },
    llm: { max_retries: 0 },
  });
  // $HERALD_HOME apart from the workspace: the sandbox hides it, and its secret files in it.
  const home = `${workspace}-home`;
  await Deno.mkdir(home);
  const resolved: ResolvedConfig = { config, home, workspace, baseUrl: llm.baseUrl };
  const runtime = await openRuntime(resolved, { kv });
  return {
    llm,
    runtime,
    workspace,
    async [Symbol.asyncDispose]() {
      await runtime.close();
      kv.close();
      await llm.close();
      await Deno.remove(workspace, { recursive: true });
      await Deno.remove(home, { recursive: true });
    },
  };
}

async function run(gen: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const e of gen) events.push(e);
  return events;
}

const turn = (text: string, platform: AgentTurn["platform"] = "api_server"): AgentTurn => ({
  platform,
  messages: [{ role: "user", content: text }],
});

Deno.test("a note saved with the memory tool is in the next turn's system prompt", async () => {
  await using t = await setup();
  t.llm.enqueue({
    toolCalls: [{
      name: "memory",
      arguments: JSON.stringify({ action: "add", content: "The user is called Ada." }),
    }],
  });
  t.llm.enqueue({ text: "Noted." });
  await run(t.runtime.agent.run(turn("remember my name is Ada")));
  const sameTurnPrompt = t.llm.requests[0].body.messages[0];
  assert.equal(sameTurnPrompt.role, "system");
  assert.doesNotMatch(sameTurnPrompt.content, /Ada/);

  t.llm.enqueue({ text: "Hi Ada." });
  await run(t.runtime.agent.run(turn("hello again", "telegram")));
  const next = t.llm.requests.at(-1)!.body.messages[0];
  assert.equal(next.role, "system");
  assert.match(next.content, /The user is called Ada\./);
});

Deno.test("toolsets from the config decide the tools each platform offers upstream", async () => {
  await using t = await setup({ toolsets: { telegram: ["read_file", "memory"], cli: [] } });
  const offered = async (platform: AgentTurn["platform"]) => {
    t.llm.enqueue({ text: "ok" });
    await run(t.runtime.agent.run(turn("x", platform)));
    const tools = t.llm.requests.at(-1)!.body.tools ?? [];
    return tools.map((s: { function: { name: string } }) => s.function.name).sort();
  };
  assert.deepEqual(await offered("telegram"), ["memory", "read_file"]);
  assert.deepEqual(await offered("cli"), []);
  assert.deepEqual(await offered("api_server"), [
    "memory",
    "patch",
    "read_file",
    "search_files",
    "terminal",
    "web_fetch",
    "write_file",
  ]);
});

Deno.test("a tool outside the platform's toolset is refused if the model calls it anyway", async () => {
  await using t = await setup({ toolsets: { telegram: ["read_file"] } });
  await Deno.writeTextFile(`${t.workspace}/marker.txt`, "untouched");
  t.llm.enqueue({
    toolCalls: [{ name: "write_file", arguments: '{"path":"marker.txt","content":"changed"}' }],
  });
  t.llm.enqueue({ text: "done" });
  await run(t.runtime.agent.run(turn("x", "telegram")));
  assert.equal(await Deno.readTextFile(`${t.workspace}/marker.txt`), "untouched");
  const toolMessage = t.llm.requests[1].body.messages.find((m: { role: string }) =>
    m.role === "tool"
  );
  assert.match(toolMessage.content, /unknown tool "write_file"\. Available tools: read_file\./);
});

Deno.test("the configured key read from a workspace file is masked before the model sees it", async () => {
  await using t = await setup();
  await Deno.writeTextFile(
    `${t.workspace}/.env`,
    "OPENAI_API_KEY=sk-configured-upstream-key-42\nOTHER=plain\n",
  );
  t.llm.enqueue({ toolCalls: [{ name: "terminal", arguments: '{"command":"cat .env"}' }] });
  t.llm.enqueue({ toolCalls: [{ name: "read_file", arguments: '{"path":".env"}' }] });
  t.llm.enqueue({ text: "done" });
  const events = await run(t.runtime.agent.run(turn("show me .env")));
  const toolResults = t.llm.requests[2].body.messages.filter((m: { role: string }) =>
    m.role === "tool"
  );
  assert.equal(toolResults.length, 2);
  for (const m of toolResults) {
    assert.match(m.content, /OPENAI_API_KEY=\[redacted\]/);
    assert.match(m.content, /OTHER=plain/);
  }
  assert.doesNotMatch(JSON.stringify(t.llm.requests), /sk-configured-upstream-key-42/);
  assert.doesNotMatch(JSON.stringify(events), /sk-configured-upstream-key-42/);
});
