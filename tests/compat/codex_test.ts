/**
 * The Codex CLI (`@openai/codex`, `codex exec` with a custom `wire_api = "responses"` provider)
 * against a real gateway whose agent reads a file with one of Herald's own tools: Codex must not
 * try to run the call itself (it used to answer `unsupported call: read_file` and run an extra
 * turn), it prints the final answer, and a second turn (`codex exec resume --last`) continues.
 *
 * Codex ships a native binary, so it is not an import: `.ci/run` installs it with npm into
 * `~/.cache/herald-codex` (or set HERALD_CODEX_JS to its `bin/codex.js`). Without it, and without
 * `node`, the test is ignored, saying so in its name.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { COMPAT_KEY, startCompatGateway } from "./harness.ts";

const HOME = Deno.env.get("HOME") ?? "";
const CODEX_JS = Deno.env.get("HERALD_CODEX_JS") ??
  join(HOME, ".cache", "herald-codex", "node_modules", "@openai", "codex", "bin", "codex.js");

async function available(): Promise<boolean> {
  try {
    await Deno.stat(CODEX_JS);
    return (await new Deno.Command("node", { args: ["--version"] }).output()).success;
  } catch {
    return false;
  }
}

const hasCodex = await available();

/** Runs `codex exec …` with its own CODEX_HOME (outside /tmp: Codex refuses helper binaries there). */
async function codex(codexHome: string, cwd: string, args: string[]) {
  // Codex also reaches out to GitHub and ChatGPT at start: point every proxy at a closed port.
  const closed = "http://127.0.0.1:9";
  const out = await new Deno.Command("node", {
    args: [CODEX_JS, "exec", ...args],
    env: {
      CODEX_HOME: codexHome,
      HERALD_KEY: COMPAT_KEY,
      HTTPS_PROXY: closed,
      HTTP_PROXY: closed,
      ALL_PROXY: closed,
      NO_PROXY: "127.0.0.1,localhost",
      PATH: Deno.env.get("PATH") ?? "",
      HOME,
    },
    clearEnv: true,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test({
  name: hasCodex
    ? "Codex CLI: a Herald tool call is shown, not run by Codex; the answer arrives; resume works"
    : "Codex CLI (ignored: not installed in ~/.cache/herald-codex and HERALD_CODEX_JS unset)",
  ignore: !hasCodex,
  fn: async () => {
    await using g = await startCompatGateway();
    await Deno.writeTextFile(join(g.workspace, "notes.txt"), "pack an umbrella");
    const codexHome = join(HOME, ".cache", `herald-codex-home-${crypto.randomUUID()}`);
    await Deno.mkdir(codexHome, { recursive: true });
    try {
      await Deno.writeTextFile(
        join(codexHome, "config.toml"),
        [
          'model = "herald"',
          'model_provider = "herald"',
          "check_for_update_on_startup = false",
          "",
          "[model_providers.herald]",
          'name = "herald"',
          `base_url = "${g.baseURL}"`,
          'env_key = "HERALD_KEY"',
          'wire_api = "responses"',
          "request_max_retries = 0",
          "stream_max_retries = 0",
          "",
        ].join("\n"),
      );
      g.llm.enqueue(
        { toolCalls: [{ name: "read_file", arguments: '{"path":"notes.txt"}' }] },
        { text: "Your notes say: pack an umbrella." },
      );
      const first = await codex(codexHome, g.workspace, [
        "--skip-git-repo-check",
        "-s",
        "read-only",
        "-m",
        "herald",
        "What do my notes say?",
      ]);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /Your notes say: pack an umbrella\./);
      assert.doesNotMatch(first.stdout + first.stderr, /unsupported call/);
      // One Herald turn: the tool call and the answer; no extra turn from Codex.
      assert.equal(g.llm.requests.length, 2);
      const tool = g.llm.requests[1].body.messages.findLast((m) => m.role === "tool");
      assert.match(String(tool?.content), /pack an umbrella/);

      g.llm.enqueue({ text: "Yes, still an umbrella." });
      const second = await codex(codexHome, g.workspace, [
        "resume",
        "--last",
        "--skip-git-repo-check",
        "Still?",
      ]);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /Yes, still an umbrella\./);
      const history = g.llm.requests.at(-1)!.body.messages.map((m) => m.role);
      assert.ok(history.includes("assistant"), JSON.stringify(history));
    } finally {
      await Deno.remove(codexHome, { recursive: true });
    }
  },
});
