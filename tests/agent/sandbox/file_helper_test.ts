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

Deno.test("`herald __file-helper` answers one request on stdin (what a compiled binary does)", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(`${ws.path}/a.txt`, "hello");
  const main = fileURLToPath(new URL("../../../main.ts", import.meta.url));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", "--unstable-worker-options", main, FILE_HELPER_ARG],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify({
    op: "read",
    path: `${ws.path}/a.txt`,
    roots: [ws.path],
    maxBytes: 1000,
  })));
  await writer.close();
  const out = await child.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
    ok: true,
    real: `${ws.path}/a.txt`,
    text: "hello",
    size: 5,
  });
});
