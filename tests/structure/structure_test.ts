/**
 * Keeps the layers honest: the real tree obeys the import rules, and the check itself catches a
 * loop, an upward import and a deep cross-folder import, type-only ones included.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  checkGraph,
  findCycles,
  folderEntry,
  type ImportGraph,
  importGraph,
  listSourceFiles,
} from "./import_graph.ts";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function report(violations: { edge: string; message: string }[]): string {
  return violations.map((v) => `  ${v.edge}: ${v.message}`).join("\n");
}

Deno.test("the source tree imports down the layers, through mod.ts, without loops", async () => {
  const files = await listSourceFiles(repoRoot);
  assert.ok(files.includes("agent/mod.ts") && files.includes("tests/structure/import_graph.ts"));
  const graph = await importGraph(repoRoot, files);
  // The graph is real: the root mod.ts reaches the agent through its mod.ts.
  assert.ok(graph.get("mod.ts")!.includes("agent/mod.ts"));
  const violations = checkGraph(graph);
  assert.equal(violations.length, 0, `Import rules broken:\n${report(violations)}`);
});

Deno.test("every folder of the source tree has a mod.ts", async () => {
  const files = await listSourceFiles(repoRoot);
  const folders = new Set(
    files.filter((f) => !/^(tests|bench)\//.test(f) && f.includes("/"))
      .map((f) => f.slice(0, f.lastIndexOf("/"))),
  );
  const missing = [...folders].filter((d) => !files.includes(`${d}/mod.ts`));
  assert.deepEqual(missing, []);
});

Deno.test("the check reports an import loop, type-only edges included", () => {
  const graph: ImportGraph = new Map([
    ["store/a.ts", ["store/b.ts"]],
    ["store/b.ts", ["store/c.ts"]],
    ["store/c.ts", ["store/a.ts"]],
    ["store/mod.ts", ["store/a.ts"]],
  ]);
  const violations = checkGraph(graph);
  assert.equal(violations.length, 1);
  assert.equal(violations[0].kind, "cycle");
  assert.equal(violations[0].edge, "store/a.ts -> store/b.ts -> store/c.ts -> store/a.ts");
});

Deno.test("the check reports a file importing itself as a loop", () => {
  assert.deepEqual(findCycles(new Map([["config/a.ts", ["config/a.ts"]]])), [["config/a.ts"]]);
});

Deno.test("the check reports a deep cross-folder import", () => {
  const graph: ImportGraph = new Map([
    ["server/app.ts", ["agent/agent.ts", "agent/mod.ts"]],
    ["agent/agent.ts", []],
    ["agent/mod.ts", ["agent/agent.ts"]],
  ]);
  const violations = checkGraph(graph);
  assert.deepEqual(violations.map((v) => [v.kind, v.edge]), [
    ["deep", "server/app.ts -> agent/agent.ts"],
  ]);
});

Deno.test("the check reports an import that runs up the layers", () => {
  const graph: ImportGraph = new Map([
    ["store/sessions.ts", ["agent/mod.ts"]],
    ["agent/mod.ts", []],
    ["server/app.ts", ["platforms/mod.ts"]],
    ["platforms/mod.ts", []],
  ]);
  assert.deepEqual(checkGraph(graph).map((v) => [v.kind, v.edge]), [
    ["layer", "store/sessions.ts -> agent/mod.ts"],
    ["layer", "server/app.ts -> platforms/mod.ts"],
  ]);
});

Deno.test("the check reports a folder missing from the layer table", () => {
  const graph: ImportGraph = new Map([["widgets/app.ts", []]]);
  assert.deepEqual(checkGraph(graph).map((v) => v.kind), ["layer"]);
});

Deno.test("tests and bench may import deep, but may not loop", () => {
  const graph: ImportGraph = new Map([
    ["tests/a_test.ts", ["agent/agent.ts", "tests/fakes/x.ts"]],
    ["tests/fakes/x.ts", ["tests/a_test.ts"]],
    ["agent/agent.ts", []],
  ]);
  assert.deepEqual(checkGraph(graph).map((v) => v.kind), ["cycle"]);
});

Deno.test("a sub-folder is entered through its own mod.ts", () => {
  assert.equal(
    folderEntry("server/app.ts", "server/responses/items.ts"),
    "server/responses/mod.ts",
  );
  assert.equal(folderEntry("server/responses/items.ts", "server/body.ts"), null);
  assert.equal(folderEntry("gateway/gateway.ts", "server/guards/mod.ts"), "server/mod.ts");
  assert.equal(folderEntry("mod.ts", "agent/mod.ts"), "agent/mod.ts");
});

Deno.test("the graph counts type-only and dynamic imports (real files through deno info)", async () => {
  const root = await Deno.makeTempDir({ prefix: "herald_structure_tree_" });
  try {
    const write = async (path: string, text: string) => {
      await Deno.mkdir(join(root, dirname(path)), { recursive: true });
      await Deno.writeTextFile(join(root, path), text);
    };
    await write("agent/mod.ts", `export type { Thing } from "./thing.ts";\n`);
    await write(
      "agent/thing.ts",
      `import type { Route } from "../server/route.ts";\n` +
        `export type Thing = Route;\n`,
    );
    await write("server/mod.ts", `export type { Route } from "./route.ts";\n`);
    await write(
      "server/route.ts",
      `export type Route = { path: string };\n` +
        `export async function later() { return await import("../agent/mod.ts"); }\n`,
    );
    const files = await listSourceFiles(root);
    const graph = await importGraph(root, files);
    assert.deepEqual(graph.get("agent/thing.ts"), ["server/route.ts"]);
    assert.deepEqual(graph.get("server/route.ts"), ["agent/mod.ts"]);
    assert.deepEqual(checkGraph(graph).map((v) => [v.kind, v.edge]), [
      ["layer", "agent/thing.ts -> server/route.ts"],
      ["deep", "agent/thing.ts -> server/route.ts"],
      ["cycle", "agent/mod.ts -> agent/thing.ts -> server/route.ts -> agent/mod.ts"],
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
