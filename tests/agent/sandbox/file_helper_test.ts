import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { FILE_HELPER_ARG, helperCommand } from "../../../agent/mod.ts";
import { tempDir } from "../tools/helpers.ts";

Deno.test("on deno the helper is `deno eval` of its program; a compiled Herald runs itself", () => {
  const onDeno = helperCommand("/usr/lib/node_modules/deno/deno");
  assert.deepEqual(onDeno.slice(0, 3), ["/usr/lib/node_modules/deno/deno", "eval", "--no-config"]);
  assert.match(onDeno.at(-1)!, /^\(async function fileHelperMain/);
  assert.deepEqual(helperCommand("/usr/local/bin/herald"), [
    "/usr/local/bin/herald",
    FILE_HELPER_ARG,
  ]);
});

/** Runs `herald __file-helper` (what a compiled binary does), feeds it `input`, returns its lines. */
async function runHelper(input: string): Promise<unknown[]> {
  const main = fileURLToPath(new URL("../../../main.ts", import.meta.url));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", "--unstable-worker-options", main, FILE_HELPER_ARG],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const out = await child.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(text.endsWith("\n"), "every answer ends with a newline");
  return text.trimEnd().split("\n").map((line) => JSON.parse(line));
}

Deno.test("`herald __file-helper` answers each request line in order until stdin ends", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(`${ws.path}/a.txt`, "hello\nworld");
  const read = (path: string) =>
    JSON.stringify({ op: "read", path: `${ws.path}/${path}`, roots: [ws.path], maxBytes: 1000 });
  const write = JSON.stringify({
    op: "write",
    path: `${ws.path}/b.txt`,
    roots: [ws.path],
    content: "line 1\nline 2 — ünïcode",
  });
  const answers = await runHelper(
    [read("a.txt"), write, read("b.txt"), read("missing"), "not json"].join("\n") + "\n",
  );
  assert.equal(answers.length, 5);
  assert.deepEqual(answers[0], {
    ok: true,
    real: `${ws.path}/a.txt`,
    text: "hello\nworld",
    size: 11,
  });
  assert.deepEqual(answers[1], { ok: true, real: `${ws.path}/b.txt`, existed: false, bytes: 27 });
  assert.equal((answers[2] as { text: string }).text, "line 1\nline 2 — ünïcode");
  assert.equal((answers[3] as { code: string }).code, "not_found");
  assert.equal((answers[4] as { code: string }).code, "failed");
});

Deno.test("`herald __file-helper` answers a last request sent without its newline", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(`${ws.path}/a.txt`, "hello");
  const answers = await runHelper(JSON.stringify({
    op: "read",
    path: `${ws.path}/a.txt`,
    roots: [ws.path],
    maxBytes: 1000,
  }));
  assert.deepEqual(answers, [{ ok: true, real: `${ws.path}/a.txt`, text: "hello", size: 5 }]);
});
