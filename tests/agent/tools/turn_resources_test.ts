import assert from "node:assert/strict";
import { join } from "node:path";
import {
  Agent,
  type AgentEvent,
  LlmClient,
  readFileTool,
  ToolRegistry,
  TurnResources,
} from "../../../agent/mod.ts";
import { FakeLlm } from "../../fakes/fake_llm.ts";
import { liveFileHelpers, tempDir, testConfig } from "./helpers.ts";

Deno.test("turn resources are made once per key and all closed at the end", async () => {
  const closed: string[] = [];
  const resources = new TurnResources();
  const make = (name: string) => ({ close: () => Promise.resolve(void closed.push(name)) });
  const a = resources.use("a", () => make("a"));
  assert.equal(resources.use("a", () => make("a again")), a);
  resources.use("b", () => make("b"));
  assert.equal(resources.size, 2);
  await resources.close();
  assert.deepEqual(closed.sort(), ["a", "b"]);
  assert.equal(resources.closed, true);
  assert.throws(() => resources.use("c", () => make("c")), /turn has ended/);
});

function agentIn(workspace: string, llm: FakeLlm): Agent {
  const registry = new ToolRegistry().register(readFileTool(testConfig().tools));
  return new Agent({
    llm: new LlmClient({
      targets: [{ model: "fake-model", baseUrl: llm.baseUrl }],
      connectTimeout: 5,
      firstTokenTimeout: 5,
      staleTimeout: 5,
      maxRetries: 0,
    }),
    registry,
    toolsets: { api_server: ["read_file"] },
    workspace,
    maxIterations: 5,
  });
}

Deno.test("an agent turn's file calls share one helper, gone when the turn ends", async () => {
  await using ws = await tempDir();
  await using llm = await FakeLlm.start();
  for (const name of ["a", "b", "c"]) await Deno.writeTextFile(join(ws.path, name), name);
  const read = (path: string) => ({ name: "read_file", arguments: JSON.stringify({ path }) });
  llm.enqueue(
    { toolCalls: [read("a"), read("b")] },
    { toolCalls: [read("c")] },
    { text: "done" },
  );
  const agent = agentIn(ws.path, llm);
  const helpers = new Set<number>();
  const events: AgentEvent[] = [];
  for await (const event of agent.run({ platform: "api_server", messages: [] })) {
    events.push(event);
    if (event.type === "tool_completed") {
      for (const pid of await liveFileHelpers(ws.path)) helpers.add(pid);
    }
  }
  const outputs = events.filter((e) => e.type === "tool_completed");
  assert.equal(outputs.length, 3);
  assert.equal(helpers.size, 1, "three reads over two iterations, one helper");
  assert.deepEqual(await liveFileHelpers(ws.path), [], "the turn's end ended it");
});

Deno.test("a turn whose consumer stops early still ends its helper", async () => {
  await using ws = await tempDir();
  await using llm = await FakeLlm.start();
  await Deno.writeTextFile(join(ws.path, "a"), "a");
  llm.enqueue({ toolCalls: [{ name: "read_file", arguments: '{"path":"a"}' }] }, { text: "x" });
  const agent = agentIn(ws.path, llm);
  let seen = 0;
  for await (const event of agent.run({ platform: "api_server", messages: [] })) {
    if (event.type === "tool_completed") {
      seen = (await liveFileHelpers(ws.path)).length;
      break; // the client left: the generator's return() runs the turn's finally
    }
  }
  assert.equal(seen, 1);
  assert.deepEqual(await liveFileHelpers(ws.path), []);
});
