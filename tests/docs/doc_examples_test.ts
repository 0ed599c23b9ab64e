/**
 * The examples in the user docs, run against a real gateway. A fenced block preceded by
 * `<!-- run -->` (optionally `<!-- run expect="text" -->`) is executed: ```ts blocks with
 * `deno run` under the repository's import map, ```sh blocks with bash after the default URL
 * `http://127.0.0.1:8642` is replaced by the test gateway's. Each must exit 0 and print the
 * expected text. ```python blocks marked `<!-- check -->` are parsed (no openai package for
 * Python here). Every ```ts block marked runnable is also type-checked.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { echoResponder, FakeLlm, type FakeResponder } from "../fakes/fake_llm.ts";
import { startTestGateway } from "../fakes/test_gateway.ts";
import { extractExamples } from "./_examples.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const DENO_JSON = join(REPO, "deno.json");
const DOCS = [
  "docs/index.md",
  "docs/api.md",
  "docs/api_responses.md",
  "docs/mcp.md",
  "docs/web.md",
];
const KEY = "docs-example-key-7d2f19c4a8";
const DEFAULT_URL = "http://127.0.0.1:8642";

const examples = (await Promise.all(
  DOCS.map(async (file) => extractExamples(await Deno.readTextFile(join(REPO, file)), file)),
)).flat();

/** Echoes the user, except for the client-tool example: it calls get_weather, then reports. */
const docsResponder: FakeResponder = (req, index) => {
  const last = req.body.messages.at(-1);
  if (last?.role === "tool") return { text: `The tool answered: ${last.content}` };
  const wantsWeather = (req.body.tools ?? []).some((t) => t.function?.name === "get_weather");
  // The approvals example: a write the gateway (approvals.api_server: always) asks about first.
  if (/notes\.txt/.test(String(last?.content ?? ""))) {
    return {
      toolCalls: [{
        name: "write_file",
        arguments: JSON.stringify({ path: "notes.txt", content: "hello" }),
      }],
    };
  }
  if (wantsWeather) {
    return { toolCalls: [{ name: "get_weather", arguments: JSON.stringify({ city: "Paris" }) }] };
  }
  return echoResponder(req, index);
};

async function run(
  command: string,
  args: string[],
  input: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(command, {
    args,
    cwd: REPO,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const out = await child.output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

async function hasPython(): Promise<boolean> {
  try {
    return (await new Deno.Command("python3", { args: ["--version"] }).output()).success;
  } catch {
    return false;
  }
}

Deno.test("each tested doc has runnable examples of each kind", () => {
  for (const file of DOCS) {
    const mine = examples.filter((e) => e.file === file && e.mode === "run");
    assert.ok(mine.some((e) => e.lang === "ts"), `${file} has no runnable ts example`);
    assert.ok(mine.some((e) => e.lang === "sh"), `${file} has no runnable sh example`);
  }
});

Deno.test("the runnable examples in the docs work against a real gateway", async (t) => {
  const llm = await FakeLlm.start({ responder: docsResponder });
  const started = await startTestGateway({
    upstream: llm.baseUrl,
    key: KEY,
    configYaml: "approvals:\n  api_server: always\n",
  });
  const gateway = started.gateway;
  const env = { HERALD_URL: gateway.url, HERALD_KEY: KEY, NO_COLOR: "1" };
  try {
    for (const example of examples.filter((e) => e.mode === "run")) {
      await t.step(`${example.file}:${example.line} (${example.lang})`, async () => {
        const result = example.lang === "ts"
          ? await run(Deno.execPath(), ["run", "-A", "--config", DENO_JSON, "-"], example.code, env)
          : await run("bash", ["-c", example.code.replaceAll(DEFAULT_URL, gateway.url)], "", env);
        const output = result.stdout + result.stderr;
        assert.equal(result.code, 0, `exited ${result.code}:\n${output}`);
        if (example.expect !== undefined) {
          assert.ok(output.includes(example.expect), `"${example.expect}" not in:\n${output}`);
        }
      });
    }
  } finally {
    await started.close();
    await llm.close();
  }
});

Deno.test("the runnable TypeScript examples in the docs type-check", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herald_docs_check_" });
  try {
    const files: string[] = [];
    for (const [i, example] of examples.entries()) {
      if (example.lang !== "ts" || example.mode !== "run") continue;
      const file = join(dir, `example_${i}.ts`);
      await Deno.writeTextFile(file, `// ${example.file}:${example.line}\n${example.code}`);
      files.push(file);
    }
    const result = await run(Deno.execPath(), ["check", "--config", DENO_JSON, ...files], "", {
      NO_COLOR: "1",
    });
    assert.equal(result.code, 0, result.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the Python examples in the docs parse", async (t) => {
  const python = examples.filter((e) => e.lang === "python" && e.mode === "check");
  assert.ok(python.length > 0, "no Python example is marked <!-- check -->");
  if (!(await hasPython())) return; // Nothing to parse them with on this machine.
  for (const example of python) {
    await t.step(`${example.file}:${example.line}`, async () => {
      const result = await run(
        "python3",
        ["-c", "import ast, sys; ast.parse(sys.stdin.read())"],
        example.code,
        {},
      );
      assert.equal(result.code, 0, result.stderr);
    });
  }
});
