import { assert, assertEquals } from "./_assert.ts";
import { join } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { buildBundle, prepareWorkerSource } from "../../cli/bundle.ts";
import { HERALD_UNSTABLE_FLAGS } from "../../cli/runtime_flags.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { FakeBotApi } from "../fakes/fake_bot_api.ts";
import { WEB_ASSETS } from "../../web/mod.ts";

/** Runs the bundle from `dir`, away from deno.json and its import map, with a clean env. */
function bundleCommand(
  bundle: string,
  args: string[],
  dir: string,
  env: Record<string, string> = {},
): Deno.Command {
  const base: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: dir,
    NO_COLOR: "1",
    HERALD_HOME: join(dir, "home"),
  };
  const denoDir = Deno.env.get("DENO_DIR");
  if (denoDir) base.DENO_DIR = denoDir;
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...HERALD_UNSTABLE_FLAGS,
      "--no-config",
      bundle,
      ...args,
    ],
    cwd: dir,
    env: { ...base, ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("the bundle is self-contained: --version, a chat round trip, the web chat and Telegram", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "herald-bundle-" });
  try {
    const bundle = join(dir, "herald.js");
    await buildBundle(bundle);
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

    await t.step("--version", async () => {
      const run = await bundleCommand(bundle, ["--version"], dir).output();
      assertEquals(decode(run.stdout), `herald ${denoJson.version}\n`);
      assertEquals(run.code, 0);
    });

    await t.step("chat -q answers from the fake upstream", async () => {
      await using llm = await FakeLlm.start();
      const run = await bundleCommand(bundle, ["chat", "-q", "hi"], dir, {
        OPENAI_BASE_URL: llm.baseUrl,
        HERALD_MODEL: "fake-model",
      }).output();
      assertEquals(run.code, 0, decode(run.stderr));
      assertEquals(decode(run.stdout), "echo: hi\n");
    });

    await t.step("the web chat's page and script are served from inside the bundle", async () => {
      await using llm = await FakeLlm.start();
      const child = bundleCommand(bundle, ["serve", "--port", "0"], dir, {
        OPENAI_BASE_URL: llm.baseUrl,
        HERALD_MODEL: "fake-model",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      try {
        let url: RegExpExecArray | null = null;
        while (!(url = /Web chat +(http:\/\/\S+)\//.exec(out))) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`The bundle ended before its banner:\n${out}`);
          out += value;
        }
        for (const path of ["/", "/web/app.js"]) {
          const res = await fetch(`${url[1]}${path}`);
          assertEquals(res.status, 200);
          assertEquals(await res.text(), WEB_ASSETS.find((a) => a.path === path)!.body);
        }
      } finally {
        child.kill("SIGTERM");
        await reader.cancel().catch(() => {});
        await child.stderr.cancel().catch(() => {});
        await child.status;
      }
    });

    await t.step("the embedded Telegram worker answers a message", async () => {
      await using llm = await FakeLlm.start();
      await using api = new FakeBotApi();
      const child = bundleCommand(bundle, ["serve", "--port", "0"], dir, {
        OPENAI_BASE_URL: llm.baseUrl,
        HERALD_MODEL: "fake-model",
        TELEGRAM_BOT_TOKEN: api.token,
        TELEGRAM_API_ROOT: api.apiRoot,
        TELEGRAM_ALLOWED_USERS: "42",
      }).spawn();
      try {
        api.sendUserMessage({ text: "hello bundle" });
        // The default bound (minutes): a loaded machine starts the bundle slowly.
        await api.waitFor(() => api.chatMessages().some((m) => m.text === "echo: hello bundle"));
      } finally {
        child.kill("SIGTERM");
        const output = await child.output();
        if (!api.chatMessages().some((m) => m.text === "echo: hello bundle")) {
          console.error(decode(output.stdout), decode(output.stderr));
        }
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an embedded worker gets a require() that works inside a blob: URL", () => {
  const bundled = "var __require = __deno_internal_createRequire(import.meta.url);\nfoo();";
  const prepared = prepareWorkerSource(bundled);
  assert(!prepared.includes("import.meta.url"));
  assert(prepared.includes('__deno_internal_createRequire("file:///'));
});
