/**
 * `herald mcp list` and `herald mcp call`, run as real processes against real MCP servers (the
 * SDK-built fixture over stdio), and the MCP lines of `herald doctor`.
 */
import { assert, assertEquals } from "./_assert.ts";
import { runHerald, withTempHome } from "./_run.ts";
import { FIXTURE_SERVER } from "../fakes/mcp_servers.ts";

function config(extra = ""): string {
  const denoDir = Deno.env.get("DENO_DIR");
  return [
    "mcp_servers:",
    "  fixture:",
    `    command: ${JSON.stringify(Deno.execPath())}`,
    `    args: ${JSON.stringify(["run", "-A", "--quiet", FIXTURE_SERVER])}`,
    `    env: { DENO_NO_UPDATE_CHECK: "1"${
      denoDir ? `, DENO_DIR: ${JSON.stringify(denoDir)}` : ""
    } }`,
    "    sandbox: false",
    "    exclude_tools: [crash]",
    "  broken:",
    "    command: /nonexistent/mcp-server",
    extra,
  ].join("\n");
}

Deno.test("herald mcp list shows each server's state and tools, and the reason one failed", async () => {
  await withTempHome(async (home) => {
    await Deno.writeTextFile(`${home}/config.yaml`, config());
    const run = await runHerald(["mcp", "list"], { home });
    assertEquals(run.code, 1, run.stderr);
    assert(
      /✓ fixture {2}ready \(stdio, not sandboxed\) herald-fixture 1\.0\.0, 6 tools/.test(
        run.stdout,
      ),
      run.stdout,
    );
    assert(run.stdout.includes("    big  Returns a long text."), run.stdout);
    assert(run.stdout.includes("crash (excluded)"), run.stdout);
    assert(
      /✗ broken {2}failed: program not found: \/nonexistent\/mcp-server/.test(run.stdout),
      run.stdout,
    );
  });
});

Deno.test("herald mcp call runs one tool and prints its result; errors exit 1", async () => {
  await withTempHome(async (home) => {
    await Deno.writeTextFile(`${home}/config.yaml`, config());
    const ok = await runHerald(["mcp", "call", "fixture", "big", '{"chars": 5}'], { home });
    assertEquals(ok.code, 0, ok.stderr);
    assertEquals(ok.stdout, "yyyyy\n");
    const failed = await runHerald(["mcp", "call", "fixture", "fail"], { home });
    assertEquals(failed.code, 1);
    assertEquals(failed.stderr, "it went wrong\n");
    const unknown = await runHerald(["mcp", "call", "nope", "x"], { home });
    assertEquals(unknown.code, 2);
    assert(unknown.stderr.includes('No MCP server named "nope" is configured'), unknown.stderr);
    const badJson = await runHerald(["mcp", "call", "fixture", "big", "{chars"], { home });
    assertEquals(badJson.code, 2);
    assert(badJson.stderr.includes("The arguments are not JSON"), badJson.stderr);
  });
});

Deno.test("herald doctor reports each MCP server", async () => {
  await withTempHome(async (home) => {
    await Deno.writeTextFile(`${home}/config.yaml`, config());
    const run = await runHerald(["doctor"], {
      home,
      env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1", API_SERVER_PORT: "0" },
    });
    assert(/✓ MCP fixture: ready, 6 tools, not sandboxed/.test(run.stdout), run.stdout);
    assert(
      /✗ MCP broken: failed: program not found: \/nonexistent\/mcp-server/.test(run.stdout),
      run.stdout,
    );
  });
});
