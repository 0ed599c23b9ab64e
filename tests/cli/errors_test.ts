/**
 * Errors that say what to fix, each through the real `herald` process: a busy port, a base URL
 * without /v1 (in the error and in doctor), `config check` refusing what `serve` refuses, a store
 * locked by a running process (doctor names the pid), and hints that name the command the way the
 * user runs it.
 */
import { assert, assertEquals } from "./_assert.ts";
import { join } from "node:path";
import { openKv } from "../../store/mod.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { runHerald, withTempHome } from "./_run.ts";

const KEY = { API_SERVER_KEY: "errors-9c41f7a2b85d3e60" };

Deno.test("a busy port names the port and the flag, variable and key that change it", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    await withTempHome(async (home) => {
      const run = await runHerald(["serve", "--port", String(port)], { home, env: KEY });
      assertEquals(run.code, 1, run.stderr);
      assert(run.stderr.includes(`127.0.0.1:${port}: the port is already in use`), run.stderr);
      assert(run.stderr.includes("`herald serve --port 9000`"), run.stderr);
      assert(run.stderr.includes("API_SERVER_PORT=9000"), run.stderr);
      assert(run.stderr.includes(`api_server.port in ${home}/config.yaml`), run.stderr);
      assert(!run.stderr.includes("os error"), run.stderr);

      // From a checkout (`deno task` sets INIT_CWD) the hint is the command that user types.
      const fromSource = await runHerald(["serve", "--port", String(port)], {
        home,
        env: { ...KEY, INIT_CWD: home },
      });
      assert(fromSource.stderr.includes("`deno task herald serve --port 9000`"), fromSource.stderr);
    });
  } finally {
    listener.close();
  }
});

Deno.test("a base URL without /v1 is named in the chat error and in doctor", async () => {
  await using llm = await FakeLlm.start();
  const root = llm.baseUrl.replace(/\/v1\/?$/, "");
  await withTempHome(async (home) => {
    await Deno.writeTextFile(join(home, "config.yaml"), "llm:\n  max_retries: 0\n");
    const env = { OPENAI_BASE_URL: root, HERALD_MODEL: "fake-model" };
    const chat = await runHerald(["chat", "-q", "hi"], { home, env });
    assertEquals(chat.code, 1);
    assert(chat.stderr.includes("the base URL has no /v1"), chat.stderr);
    assert(chat.stderr.includes(`${root}/v1`), chat.stderr);
    assert(!chat.stderr.includes("exists there (HERALD_MODEL)"), "it does not blame the model");

    const doctor = await runHerald(["doctor"], { home, env });
    const line = doctor.stdout.split("\n").find((l) => l.includes("LLM:")) ?? "";
    assert(line.includes(`the base URL has no /v1; set OPENAI_BASE_URL`), line);
    assert(line.includes(`${root}/v1`), line);
  });
});

Deno.test("config check refuses auth: false on 0.0.0.0, exactly as serve does", async () => {
  await withTempHome(async (home) => {
    const env = { ...KEY, API_SERVER_HOST: "0.0.0.0", API_SERVER_AUTH: "false" };
    const check = await runHerald(["config", "check"], { home, env });
    const serve = await runHerald(["serve"], { home, env });
    assertEquals(check.code, 2, check.stderr);
    assertEquals(serve.code, 2, serve.stderr);
    const rule = /Refusing to start: api_server\.auth is false while binding 0\.0\.0\.0/;
    assert(rule.test(check.stderr), check.stderr);
    assert(rule.test(serve.stderr), serve.stderr);
    assert(!check.stdout.includes("configuration OK"));
  });
});

Deno.test("doctor says the store is locked by a running process and names its pid", async () => {
  await withTempHome(async (home) => {
    // This test process holds the store, as a running gateway would.
    const kv = await openKv(undefined, home);
    try {
      const doctor = await runHerald(["doctor"], {
        home,
        env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" },
      });
      const line = doctor.stdout.split("\n").find((l) => l.includes("Database:")) ?? "";
      assert(line.startsWith("✗"), line);
      assert(line.includes(`locked by a running Herald (pid ${Deno.pid})`), line);
      assert(line.includes("HERALD_KV_PATH"), line);
    } finally {
      kv.close();
    }
  });
});

Deno.test("an unknown config key gets the nearest valid key", async () => {
  await withTempHome(async (home) => {
    await Deno.writeTextFile(
      join(home, "config.yaml"),
      "api_server:\n  prot: 9000\nport: 9000\nmodle:\n  name: x\n",
    );
    const run = await runHerald(["config", "check"], { home });
    assertEquals(run.code, 0, run.stderr);
    assert(
      run.stderr.includes(`"api_server.prot"`) &&
        run.stderr.includes(`Did you mean "api_server.port"?`),
      run.stderr,
    );
    assert(run.stderr.includes(`Unknown key "port"`), run.stderr);
    assert(
      run.stderr.includes(`"modle" in`) && run.stderr.includes(`Did you mean "model"?`),
      run.stderr,
    );
  });
});
