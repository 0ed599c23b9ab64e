/**
 * The file tools under attack from outside the sandbox: a folder swapped with a symlink to an
 * outside folder while the tools run (check-then-use races), hard links to outside files, and
 * FIFOs. Outside folders are temporary and hold marker files that must never be read or written.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  patchTool,
  readFileTool,
  ToolRegistry,
  TurnResources,
  writeFileTool,
} from "../../../agent/mod.ts";
import { tempDir, testConfig, toolContext } from "./helpers.ts";

const registry = new ToolRegistry()
  .register(readFileTool(testConfig().tools))
  .register(writeFileTool(testConfig().tools))
  .register(patchTool(testConfig().tools));

const SECRET = "OUTSIDE-SECRET-4c1e";

/**
 * Runs `count` calls made by `args(i)`, `parallel` at a time; with `turns`, each of the
 * `parallel` runners is one turn whose calls share that turn's helper.
 */
async function calls(
  count: number,
  parallel: number,
  name: string,
  args: (i: number) => unknown,
  workspace: string,
  turns?: TurnResources[],
): Promise<string[]> {
  const outputs: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async (_, runner) => {
    const context = { ...toolContext(workspace), ...(turns ? { turn: turns[runner] } : {}) };
    while (next < count) {
      const i = next++;
      const result = await registry.call(name, JSON.stringify(args(i)), context);
      outputs.push(result.output);
    }
  }));
  return outputs;
}

for (const reused of [false, true]) {
  const how = reused ? "turns' reused helpers" : "a helper per call";
  Deno.test(`a folder swapped with a symlink to the outside: 0 outside reads or writes in 1,000+ calls and 200+ swaps (${how})`, async () => {
    await using ws = await tempDir();
    const turns = reused ? Array.from({ length: 12 }, () => new TurnResources()) : undefined;
    await using out = await tempDir();
    const dir = join(ws.path, "d");
    await Deno.mkdir(dir);
    await Deno.writeTextFile(join(dir, "f"), "inside");
    await Deno.writeTextFile(join(out.path, "f"), SECRET);
    // The attacker, outside the sandbox: swaps d with a symlink to the outside folder, back and
    // forth, for as long as the calls run.
    let racing = true;
    let swaps = 0;
    const swapper = (async () => {
      while (racing) {
        try {
          await Deno.rename(dir, `${dir}.real`);
          await Deno.symlink(out.path, dir);
          await new Promise((r) => setTimeout(r, 0));
          swaps++;
        } catch {
          // A write_file made a new d while it was away; the swap back below cleans it up.
        }
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        await Deno.rename(`${dir}.real`, dir).catch(() => {});
        await new Promise((r) => setTimeout(r, 0));
      }
    })();
    // Calls go on in rounds until there were at least 1,000 of them and the folder was swapped at
    // least 200 times while they ran: how many swaps fit into 1,000 calls depends on the machine's
    // load, so the loop waits for both rather than trusting a timing. The deadline only turns a
    // hang into a failure: 10 minutes, where an idle machine needs seconds and a loaded one ~1.
    const reads: string[] = [];
    const writes: string[] = [];
    const deadline = Date.now() + 600_000;
    try {
      while ((reads.length + writes.length < 1000 || swaps < 200) && Date.now() < deadline) {
        const base = writes.length;
        reads.push(...await calls(60, 12, "read_file", () => ({ path: "d/f" }), ws.path, turns));
        writes.push(
          ...await calls(
            40,
            12,
            "write_file",
            (i) => ({ path: `d/w${base + i}`, content: "written" }),
            ws.path,
            turns,
          ),
        );
      }
    } finally {
      racing = false;
      await swapper;
      await Promise.all((turns ?? []).map((turn) => turn.close()));
    }
    assert.ok(reads.length + writes.length >= 1000, `${reads.length + writes.length} calls`);
    assert.equal(reads.filter((o) => o.includes(SECRET)).length, 0, "no outside read");
    assert.ok(reads.some((o) => o.includes("inside")), "some reads found the real folder");
    assert.ok(swaps >= 200, `the folder was swapped only ${swaps} times in 10 minutes`);
    const outsideFiles = (await Array.fromAsync(Deno.readDir(out.path))).map((e) => e.name);
    assert.deepEqual(outsideFiles, ["f"], "no outside write");
    assert.equal(await Deno.readTextFile(join(out.path, "f")), SECRET);
  });
}

Deno.test("a hard link to an outside file is neither read nor written through", async () => {
  await using ws = await tempDir();
  await using out = await tempDir();
  const secret = join(out.path, "secret");
  await Deno.writeTextFile(secret, SECRET);
  await Deno.link(secret, join(ws.path, "link"));
  const context = toolContext(ws.path);
  const read = await registry.call("read_file", '{"path":"link"}', context);
  assert.equal(read.isError, true);
  assert.match(read.output, /has 2 hard links: the file tools refuse/);
  assert.doesNotMatch(read.output, /OUTSIDE-SECRET/);
  const patch = await registry.call(
    "patch",
    JSON.stringify({ path: "link", old_string: "OUTSIDE", new_string: "CHANGED" }),
    context,
  );
  assert.equal(patch.isError, true);
  const write = await registry.call(
    "write_file",
    '{"path":"link","content":"replaced"}',
    context,
  );
  assert.equal(write.isError, false, write.output);
  // The write replaced the workspace's name with a new file; the outside inode is untouched.
  assert.equal(await Deno.readTextFile(secret), SECRET);
  assert.equal(await Deno.readTextFile(join(ws.path, "link")), "replaced");
  assert.equal((await Deno.stat(secret)).nlink, 1);
});

Deno.test("a symlink out of the workspace points at nothing inside the file sandbox", async () => {
  await using ws = await tempDir();
  await using out = await tempDir();
  await Deno.writeTextFile(join(out.path, "secret"), SECRET);
  await Deno.symlink(join(out.path, "secret"), join(ws.path, "escape"));
  await Deno.symlink(out.path, join(ws.path, "dir-escape"));
  const context = toolContext(ws.path);
  for (const path of ["escape", "dir-escape/secret"]) {
    const read = await registry.call("read_file", JSON.stringify({ path }), context);
    assert.equal(read.isError, true);
    assert.match(read.output, /outside the workspace/);
    const write = await registry.call(
      "write_file",
      JSON.stringify({ path, content: "x" }),
      context,
    );
    assert.equal(write.isError, true);
  }
  assert.equal(await Deno.readTextFile(join(out.path, "secret")), SECRET);
  assert.deepEqual((await Array.fromAsync(Deno.readDir(out.path))).map((e) => e.name), ["secret"]);
});

Deno.test("write_file keeps an existing file's permissions", async () => {
  await using ws = await tempDir();
  const script = join(ws.path, "run.sh");
  await Deno.writeTextFile(script, "echo old\n");
  await Deno.chmod(script, 0o755);
  const result = await registry.call(
    "write_file",
    '{"path":"run.sh","content":"echo new\\n"}',
    toolContext(ws.path),
  );
  assert.equal(result.output, "Overwrote run.sh: wrote 9 bytes.");
  assert.equal((await Deno.stat(script)).mode! & 0o777, 0o755);
});

Deno.test("read_file on a FIFO answers at once: not a regular file", async () => {
  await using ws = await tempDir();
  await new Deno.Command("mkfifo", { args: [join(ws.path, "pipe")] }).output();
  const result = await registry.call("read_file", '{"path":"pipe"}', toolContext(ws.path));
  assert.equal(result.isError, true);
  assert.match(result.output, /pipe is not a regular file/);
});

Deno.test("an aborted file call ends at once and ends its helper", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "a.txt"), "text");
  const controller = new AbortController();
  controller.abort(new Error("client left"));
  const result = await registry.call(
    "read_file",
    '{"path":"a.txt"}',
    toolContext(ws.path, controller.signal),
  );
  assert.equal(result.isError, true);
  assert.match(result.output, /interrupted/);
});
