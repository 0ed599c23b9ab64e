/**
 * stdio MCP servers inside the tool sandbox (bubblewrap): the bash probe server reports what it
 * can reach. Ignored, with the reason, where no OS sandbox is available.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Sandbox, sandboxSettings } from "../../agent/mod.ts";
import { McpServerSchema } from "../../config/mod.ts";
import { mcpSandboxLauncher, McpServerPool } from "../../mcp/mod.ts";
import { ToolRegistry } from "../../agent/mod.ts";
import { toolContext } from "./helpers.ts";

const SHELL_SERVER = new URL("../fakes/mcp_shell_server.sh", import.meta.url).pathname;
const sandbox = await Sandbox.create(sandboxSettings({ mode: "workspace-write" }));

async function probe(sandboxed: boolean): Promise<string> {
  const hiddenDir = await Deno.makeTempDir({ prefix: "herald_mcp_hidden_" });
  const workspace = await Deno.makeTempDir({ prefix: "herald_mcp_ws_" });
  // Outside the workspace, on a path the sandbox shows read-only (the repository's tests/).
  const outside = join(new URL("..", import.meta.url).pathname, `.probe-${crypto.randomUUID()}`);
  try {
    await Deno.writeTextFile(join(hiddenDir, "secret.txt"), "s");
    // The server script is copied into the workspace: the sandbox shows the workspace, while the
    // repository may sit in a folder it hides (a clone under /tmp, say).
    const server = join(workspace, "mcp_shell_server.sh");
    await Deno.copyFile(SHELL_SERVER, server);
    const registry = new ToolRegistry();
    const pool = new McpServerPool({
      probe: McpServerSchema.parse({
        command: "bash",
        args: [server],
        sandbox: sandboxed,
        env: {
          PROBE_OUTSIDE: outside,
          PROBE_HIDDEN: join(hiddenDir, "secret.txt"),
          HERALD_PROBE: "given",
        },
      }),
    }, {
      workspace,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", OPENAI_API_KEY: "sk-not-for-servers" },
      sandbox: mcpSandboxLauncher(sandbox, workspace),
      clientInfo: { name: "t", version: "0" },
      registry,
      maxResultChars: 10_000,
    });
    pool.start();
    await pool.settled(60_000);
    try {
      const status = pool.statuses()[0];
      assert.equal(status.state, "ready", status.error);
      assert.equal(status.sandboxed, sandboxed);
      return (await registry.call("probe__probe", "{}", toolContext())).output;
    } finally {
      await pool.close();
    }
  } finally {
    await Deno.remove(hiddenDir, { recursive: true });
    await Deno.remove(workspace, { recursive: true });
    await Deno.remove(outside).catch(() => {});
  }
}

Deno.test({
  name: "a sandboxed stdio server cannot write outside the workspace nor see hidden folders",
  ignore: !sandbox.confined || sandbox.support.kind !== "bwrap",
  fn: async () => {
    assert.equal(await probe(true), "outside-write=refused hidden-file=hidden env=given");
  },
});

Deno.test("with sandbox: false the same server reaches what the gateway's user can", async () => {
  assert.equal(await probe(false), "outside-write=wrote hidden-file=visible env=given");
});
