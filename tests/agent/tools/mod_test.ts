import assert from "node:assert/strict";
import { ALL_TOOL_NAMES } from "../../../config/mod.ts";
import {
  BUILTIN_TOOL_INFO,
  createBuiltinTools,
  ToolRegistry,
  toolsetFor,
} from "../../../agent/mod.ts";
import { MemoryStore } from "../../../store/mod.ts";
import { testConfig } from "./helpers.ts";

async function registryFor(
  config = testConfig(),
): Promise<{ registry: ToolRegistry; kv: Deno.Kv }> {
  const kv = await Deno.openKv(":memory:");
  const registry = new ToolRegistry();
  for (
    const tool of createBuiltinTools(config, { memory: new MemoryStore(kv, { maxChars: 4000 }) })
  ) {
    registry.register(tool);
  }
  return { registry, kv };
}

Deno.test("each built tool carries its own info, and BUILTIN_TOOL_INFO lists them in order", async () => {
  const { registry, kv } = await registryFor();
  try {
    assert.deepEqual(BUILTIN_TOOL_INFO.map((info) => info.name), [...ALL_TOOL_NAMES]);
    for (const info of BUILTIN_TOOL_INFO) {
      const tool = registry.get(info.name);
      assert.ok(tool, info.name);
      assert.deepEqual(tool.summaryArgs, info.summaryArgs, info.name);
      assert.ok(info.summaryArgs.length > 0, info.name);
      // Every summary argument is one the tool actually takes.
      const shape = (tool.parameters as unknown as { shape: Record<string, unknown> }).shape;
      for (const arg of info.summaryArgs) assert.ok(arg in shape, `${info.name}.${arg}`);
    }
  } finally {
    kv.close();
  }
});

Deno.test("createBuiltinTools builds the seven tools with their exact names", async () => {
  const { registry, kv } = await registryFor();
  try {
    assert.deepEqual(registry.names(), [...ALL_TOOL_NAMES]);
    const readOnly = registry.names().filter((n) => registry.get(n)?.readOnly);
    assert.deepEqual(readOnly, ["read_file", "search_files", "web_fetch"]);
  } finally {
    kv.close();
  }
});

Deno.test("every tool declares a JSON schema with described parameters", async () => {
  const { registry, kv } = await registryFor();
  try {
    for (const spec of registry.specs()) {
      const params = spec.function.parameters as {
        type: string;
        properties: Record<string, { description?: string }>;
      };
      assert.equal(params.type, "object", spec.function.name);
      assert.ok(spec.function.description.length > 40, spec.function.name);
      for (const [name, prop] of Object.entries(params.properties)) {
        assert.ok(prop.description, `${spec.function.name}.${name} has no description`);
      }
    }
    const terminal = registry.specs(["terminal"])[0].function.parameters as { required: string[] };
    assert.deepEqual(terminal.required, ["command"]);
  } finally {
    kv.close();
  }
});

Deno.test("toolsetFor offers only the platform's configured tools", async () => {
  const config = testConfig({ toolsets: { telegram: ["web_fetch", "memory"] } });
  assert.deepEqual(toolsetFor(config, "telegram"), ["web_fetch", "memory"]);
  assert.deepEqual(toolsetFor(config, "api_server"), [...ALL_TOOL_NAMES, "mcp"]);
  const { registry, kv } = await registryFor(config);
  try {
    assert.deepEqual(
      registry.specs(toolsetFor(config, "telegram")).map((s) => s.function.name),
      ["web_fetch", "memory"],
    );
  } finally {
    kv.close();
  }
});

Deno.test("an unknown tool name comes back as a tool error", async () => {
  const { registry, kv } = await registryFor();
  try {
    const result = await registry.call("rm_everything", "{}", {
      signal: new AbortController().signal,
      workspace: "/tmp",
      platform: "cli",
    });
    assert.equal(result.isError, true);
    assert.match(result.output, /unknown tool "rm_everything"/);
  } finally {
    kv.close();
  }
});
