import assert from "node:assert/strict";
import { join } from "node:path";
import { ToolRegistry } from "../../../agent/mod.ts";
import { MAX_MATCHES, searchFilesTool } from "../../../agent/tools/search_files.ts";
import { tempDir, testConfig, toolContext } from "./helpers.ts";

const registry = new ToolRegistry().register(searchFilesTool(testConfig().tools));

function search(workspace: string, args: Record<string, unknown>) {
  return registry.call("search_files", JSON.stringify(args), toolContext(workspace));
}

async function fixture(root: string): Promise<void> {
  const files: Record<string, string> = {
    "src/main.ts": "import x from './x.ts';\nfunction main() {}\n// TODO: tidy\n",
    "src/util/x.ts": "export default function helper() {}\n",
    "README.md": "# Project\nTODO: write docs\n",
    "node_modules/dep/index.ts": "function main() {}\n",
    ".git/config": "function main() {}\n",
  };
  for (const [path, content] of Object.entries(files)) {
    await Deno.mkdir(join(root, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(root, path), content);
  }
  await Deno.writeFile(
    join(root, "src/blob.bin"),
    new Uint8Array([0, 1, 2, ...new TextEncoder().encode("main")]),
  );
}

Deno.test("search_files finds regex matches as path:line: text, skipping .git, node_modules and binaries", async () => {
  await using ws = await tempDir();
  await fixture(ws.path);
  const result = await search(ws.path, { pattern: "function\\s+main" });
  assert.deepEqual(result, { output: "src/main.ts:2: function main() {}", isError: false });
});

Deno.test("search_files filters by a name glob and a path", async () => {
  await using ws = await tempDir();
  await fixture(ws.path);
  const todo = await search(ws.path, { pattern: "TODO", glob: "*.md" });
  assert.equal(todo.output, "README.md:2: TODO: write docs");
  const inSrc = await search(ws.path, { pattern: "(?i)todo", path: "src" });
  assert.equal(inSrc.output, "src/main.ts:3: // TODO: tidy");
});

Deno.test("search_files with an empty pattern lists files matching the glob", async () => {
  await using ws = await tempDir();
  await fixture(ws.path);
  const result = await search(ws.path, { pattern: "", glob: "**/*.ts" });
  assert.equal(result.output, "src/main.ts\nsrc/util/x.ts");
});

Deno.test("search_files caps its results with a note", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "many.txt"), "hit\n".repeat(MAX_MATCHES + 50));
  const result = await search(ws.path, { pattern: "hit" });
  const lines = result.output.split("\n");
  assert.equal(lines.length, MAX_MATCHES + 1);
  assert.match(lines.at(-1)!, /^\[stopped after 200 results.*narrow the pattern/);
});

Deno.test("search_files reports an invalid regex as a tool error", async () => {
  await using ws = await tempDir();
  const result = await search(ws.path, { pattern: "(" });
  assert.equal(result.isError, true);
  assert.match(result.output, /not a valid regular expression/);
});

Deno.test("search_files refuses a path outside the workspace", async () => {
  await using ws = await tempDir();
  const result = await search(ws.path, { pattern: "root", path: "/etc" });
  assert.equal(result.isError, true);
  assert.match(result.output, /outside the workspace/);
});
