import { assert, assertEquals } from "./_assert.ts";
import { runHerald, withTempHome } from "./_run.ts";
import { FakeDiscord } from "../fakes/fake_discord.ts";
import { FakeSlack } from "../fakes/fake_slack.ts";

const TOKEN = "123456:GOODTOKENGOODTOKEN";

// A fake LLM upstream and Bot API in one server: /v1/models and /bot<token>/getMe.
function startFakeUpstream(
  models: string[],
): Deno.HttpServer<Deno.NetAddr> & { seenAuth: string[] } {
  const seenAuth: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/v1/models") {
      seenAuth.push(request.headers.get("authorization") ?? "");
      return Response.json({ object: "list", data: models.map((id) => ({ id, object: "model" })) });
    }
    if (path === `/bot${TOKEN}/getMe`) {
      return Response.json({
        ok: true,
        result: { id: 1, is_bot: true, username: "herald_test_bot" },
      });
    }
    if (path.endsWith("/getMe")) {
      return Response.json({ ok: false, error_code: 401, description: "Unauthorized" }, {
        status: 401,
      });
    }
    return new Response("not found", { status: 404 });
  });
  return Object.assign(server, { seenAuth });
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("doctor passes every check against a healthy setup", async () => {
  const upstream = startFakeUpstream(["fake-model", "other"]);
  try {
    await withTempHome(async (home) => {
      const root = `http://127.0.0.1:${upstream.addr.port}`;
      const run = await runHerald(["doctor", "--port", String(freePort())], {
        home,
        env: {
          OPENAI_BASE_URL: `${root}/v1`,
          OPENAI_API_KEY: "sk-upstream-key",
          HERALD_MODEL: "fake-model",
          TELEGRAM_BOT_TOKEN: TOKEN,
          TELEGRAM_API_ROOT: root,
        },
      });
      assertEquals(run.code, 0, run.stdout + run.stderr);
      const lines = run.stdout.trim().split("\n");
      assertEquals(lines.length, 7, run.stdout);
      assert(lines[3].startsWith("– Discord: not configured"), lines[3]);
      assert(lines[4].startsWith("– Slack: not configured"), lines[4]);
      for (const line of lines.filter((l) => !l.startsWith("– "))) {
        assert(line.startsWith("✓ "), line);
      }
      assert(lines[0].includes('offers "fake-model"'));
      assert(lines[2].includes("@herald_test_bot"));
      assert(lines[6].includes("Sandbox: bubblewrap"), lines[6]);
      assert(lines[6].includes("proven: a write outside the workspace failed"), lines[6]);
      assertEquals(upstream.seenAuth, ["Bearer sk-upstream-key"]);
      assert(!run.stdout.includes(TOKEN), "the bot token is never printed");
    });
  } finally {
    await upstream.shutdown();
  }
});

Deno.test("doctor fails with a fix for a missing model, a bad token and a busy port", async () => {
  const upstream = startFakeUpstream(["llama3.1:latest"]);
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await withTempHome(async (home) => {
      const root = `http://127.0.0.1:${upstream.addr.port}`;
      const run = await runHerald(["doctor"], {
        home,
        env: {
          OPENAI_BASE_URL: `${root}/v1`,
          HERALD_MODEL: "qwen3",
          TELEGRAM_BOT_TOKEN: "999:WRONGWRONGWRONGWRONG",
          TELEGRAM_API_ROOT: root,
          API_SERVER_PORT: String((busy.addr as Deno.NetAddr).port),
        },
      });
      assertEquals(run.code, 1);
      const lines = run.stdout.trim().split("\n");
      assert(lines[0].startsWith(`✗ LLM: ${root}/v1 does not offer the model "qwen3"`), lines[0]);
      assert(lines[0].includes("llama3.1:latest") && lines[0].includes("Fix:"), lines[0]);
      assert(lines[1].startsWith("✓ Database:"), lines[1]);
      assert(lines[2].startsWith("✗ Telegram: the bot token was rejected. Fix:"), lines[2]);
      assert(lines[5].includes("is in use. Fix:"), lines[5]);
      assert(!run.stdout.includes("WRONGWRONGWRONGWRONG"));
    });
  } finally {
    busy.close();
    await upstream.shutdown();
  }
});

Deno.test("doctor accepts an Ollama model named without :latest", async () => {
  const upstream = startFakeUpstream(["llama3.1:latest"]);
  try {
    await withTempHome(async (home) => {
      const run = await runHerald(["doctor", "--port", String(freePort())], {
        home,
        env: {
          OPENAI_BASE_URL: `http://127.0.0.1:${upstream.addr.port}/v1`,
          HERALD_MODEL: "llama3.1",
        },
      });
      assertEquals(run.code, 0, run.stdout);
      assert(run.stdout.includes("– Telegram: not configured"));
    });
  } finally {
    await upstream.shutdown();
  }
});

Deno.test("doctor reports an unreachable upstream", async () => {
  await withTempHome(async (home) => {
    const run = await runHerald(["doctor", "--port", String(freePort())], {
      home,
      env: { OPENAI_BASE_URL: `http://127.0.0.1:${freePort()}/v1` },
    });
    assertEquals(run.code, 1);
    assert(run.stdout.startsWith("✗ LLM: cannot reach http://127.0.0.1:"), run.stdout);
    assert(run.stdout.includes("Fix: start the upstream or correct model.base_url"), run.stdout);
  });
});

Deno.test("doctor checks the Slack tokens: accepted, or rejected with the fix", async () => {
  const upstream = startFakeUpstream(["llama3.1:latest"]);
  const slack = new FakeSlack();
  try {
    await withTempHome(async (home) => {
      const env = {
        OPENAI_BASE_URL: `http://127.0.0.1:${upstream.addr.port}/v1`,
        HERALD_MODEL: "llama3.1",
        SLACK_API_ROOT: slack.apiRoot,
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_APP_TOKEN: slack.appToken,
      };
      const good = await runHerald(["doctor", "--port", String(freePort())], { home, env });
      assertEquals(good.code, 0, good.stdout);
      assert(good.stdout.includes("✓ Slack: the tokens belong to @herald in Test (socket)."));
      const bad = await runHerald(["doctor", "--port", String(freePort())], {
        home,
        env: { ...env, SLACK_APP_TOKEN: "xapp-wrong" },
      });
      assertEquals(bad.code, 1, bad.stdout);
      assert(bad.stdout.includes("✗ Slack: the app-level token was rejected (invalid_auth)"));
      assert(!bad.stdout.includes("xapp-wrong"), "tokens are never printed");
    });
  } finally {
    await slack.close();
    await upstream.shutdown();
  }
});

Deno.test("doctor checks the Discord token: accepted, or rejected with the fix", async () => {
  const upstream = startFakeUpstream(["llama3.1:latest"]);
  const discord = new FakeDiscord();
  try {
    await withTempHome(async (home) => {
      const env = {
        OPENAI_BASE_URL: `http://127.0.0.1:${upstream.addr.port}/v1`,
        HERALD_MODEL: "llama3.1",
        DISCORD_API_ROOT: discord.apiRoot,
        DISCORD_BOT_TOKEN: discord.token,
      };
      const good = await runHerald(["doctor", "--port", String(freePort())], { home, env });
      assert(good.stdout.includes("✓ Discord: the token belongs to @herald."), good.stdout);
      const bad = await runHerald(["doctor", "--port", String(freePort())], {
        home,
        env: { ...env, DISCORD_BOT_TOKEN: "wrong-token-value" },
      });
      assertEquals(bad.code, 1, bad.stdout);
      assert(bad.stdout.includes("✗ Discord: the bot token was rejected. Fix:"), bad.stdout);
      assert(!bad.stdout.includes("wrong-token-value"), "tokens are never printed");
    });
  } finally {
    await discord.close();
    await upstream.shutdown();
  }
});
