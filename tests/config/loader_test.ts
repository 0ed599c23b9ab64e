import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { join } from "node:path";
import { ConfigError } from "../../config/mod.ts";
import { loadConfig, OLLAMA_BASE_URL, OPENAI_BASE_URL, resolveKvPath } from "../../config/mod.ts";
import { ConfigSchema } from "../../config/mod.ts";

async function withHome(
  files: Record<string, string>,
  body: (home: string) => Promise<void>,
): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "herald-config-" });
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(join(home, name), text);
    }
    await body(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

async function configError(promise: Promise<unknown>): Promise<string[]> {
  const error = await assertRejects(() => promise, ConfigError);
  return error.lines;
}

Deno.test("an empty home gives the schema defaults", async () => {
  await withHome({}, async (home) => {
    const resolved = await loadConfig({ env: { HERALD_HOME: home }, cwd: "/tmp" });
    assertEquals(resolved.config.api_server.port, 8642);
    assertEquals(resolved.config.model.name, "gpt-4.1-mini");
    assertEquals(resolved.home, home);
    assertEquals(resolved.workspace, "/tmp");
    assertEquals(resolved.warnings, []);
  });
});

Deno.test("HERALD_HOME defaults to ~/.herald", async () => {
  const resolved = await loadConfig({ env: { HOME: "/nonexistent-user-home" }, cwd: "/tmp" });
  assertEquals(resolved.home, "/nonexistent-user-home/.herald");
});

Deno.test("each source beats the one below it", async () => {
  const yaml = "api_server:\n  port: 1001\n  host: yaml-host\nmodel:\n  name: yaml-model\n" +
    "agent:\n  max_iterations: 5\n";
  const dotenv = "API_SERVER_PORT=1002\nHERALD_MODEL=dotenv-model\nAPI_SERVER_HOST=dotenv-host\n";
  await withHome({ "config.yaml": yaml, ".env": dotenv }, async (home) => {
    const fileOnly = await loadConfig({ env: { HERALD_HOME: home } });
    assertEquals(fileOnly.config.agent.max_iterations, 5, "config.yaml beats defaults");
    assertEquals(fileOnly.config.model.name, "dotenv-model", ".env beats config.yaml");
    assertEquals(fileOnly.config.api_server.port, 1002);

    const withEnv = await loadConfig({
      env: { HERALD_HOME: home, API_SERVER_PORT: "1003", API_SERVER_HOST: "env-host" },
    });
    assertEquals(withEnv.config.api_server.port, 1003, "process env beats .env");
    assertEquals(withEnv.config.api_server.host, "env-host");

    const withFlags = await loadConfig({
      env: { HERALD_HOME: home, API_SERVER_PORT: "1003", API_SERVER_HOST: "env-host" },
      flags: { port: "1004", host: "flag-host" },
    });
    assertEquals(withFlags.config.api_server.port, 1004, "flags beat the environment");
    assertEquals(withFlags.config.api_server.host, "flag-host");
  });
});

Deno.test("--config reads that file instead of $HERALD_HOME/config.yaml", async () => {
  await withHome({
    "config.yaml": "model:\n  name: home\n",
    "other.yaml": "model:\n  name: other\n",
  }, async (home) => {
    const resolved = await loadConfig({
      env: { HERALD_HOME: home },
      flags: { config: "other.yaml" },
      cwd: home,
    });
    assertEquals(resolved.config.model.name, "other");
  });
});

Deno.test("aliases set a key and the preferred name wins over them", async () => {
  await withHome({}, async (home) => {
    const aliases = await loadConfig({
      env: {
        HERALD_HOME: home,
        LLM_MODEL: "llm-model",
        HERMES_MAX_ITERATIONS: "7",
        HERMES_STREAMING_ENABLED: "off",
      },
    });
    assertEquals(aliases.config.model.name, "llm-model");
    assertEquals(aliases.config.agent.max_iterations, 7);
    assertEquals(aliases.config.streaming.enabled, false);

    const hermes = await loadConfig({ env: { HERALD_HOME: home, HERMES_MODEL: "hermes-model" } });
    assertEquals(hermes.config.model.name, "hermes-model");

    const both = await loadConfig({
      env: { HERALD_HOME: home, HERALD_MODEL: "first", LLM_MODEL: "second", HERMES_MODEL: "third" },
    });
    assertEquals(both.config.model.name, "first");
  });
});

Deno.test("environment strings are coerced to booleans, numbers and lists", async () => {
  await withHome({}, async (home) => {
    for (const [text, expected] of [["yes", true], ["0", false], ["ON", true], ["False", false]]) {
      const resolved = await loadConfig({
        env: { HERALD_HOME: home, API_SERVER_ENABLED: text as string },
      });
      assertEquals(resolved.config.api_server.enabled, expected, text as string);
    }
    const resolved = await loadConfig({
      env: {
        HERALD_HOME: home,
        API_SERVER_CORS_ORIGINS: " https://a.example , ,https://b.example,",
        TELEGRAM_ALLOWED_USERS: "123,@bob",
      },
    });
    assertEquals(resolved.config.api_server.cors_origins, [
      "https://a.example",
      "https://b.example",
    ]);
    assertEquals(resolved.config.telegram.allowed_users, ["123", "@bob"]);
  });
});

Deno.test("an empty environment variable counts as unset", async () => {
  await withHome({ "config.yaml": "api_server:\n  port: 1234\n" }, async (home) => {
    const resolved = await loadConfig({ env: { HERALD_HOME: home, API_SERVER_PORT: "" } });
    assertEquals(resolved.config.api_server.port, 1234);
  });
});

Deno.test("YAML numbers are accepted for string keys such as Telegram user ids", async () => {
  await withHome(
    { "config.yaml": "telegram:\n  allowed_users: [12345, '@alice']\n" },
    async (home) => {
      const resolved = await loadConfig({ env: { HERALD_HOME: home } });
      assertEquals(resolved.config.telegram.allowed_users, ["12345", "@alice"]);
    },
  );
});

Deno.test("a bare YAML off works for reply_to_mode, also as a YAML 1.1 boolean", async () => {
  await withHome({ "config.yaml": "telegram:\n  reply_to_mode: off\n" }, async (home) => {
    const resolved = await loadConfig({ env: { HERALD_HOME: home } });
    assertEquals(resolved.config.telegram.reply_to_mode, "off");
  });
  await withHome({ "config.yaml": "telegram:\n  reply_to_mode: false\n" }, async (home) => {
    const resolved = await loadConfig({ env: { HERALD_HOME: home } });
    assertEquals(resolved.config.telegram.reply_to_mode, "off");
  });
});

Deno.test("an invalid TELEGRAM_REPLY_TO_MODE falls back to first with a warning", async () => {
  // The environment beats config.yaml even when its value is invalid: it means "first".
  await withHome({ "config.yaml": "telegram:\n  reply_to_mode: all\n" }, async (home) => {
    const resolved = await loadConfig({
      env: { HERALD_HOME: home, TELEGRAM_REPLY_TO_MODE: "sometimes" },
    });
    assertEquals(resolved.config.telegram.reply_to_mode, "first");
    assertEquals(resolved.warnings?.length, 1);
    assert(resolved.warnings?.[0].includes("TELEGRAM_REPLY_TO_MODE"));
    assert(resolved.warnings?.[0].includes('"first"'));
    const upper = await loadConfig({ env: { HERALD_HOME: home, TELEGRAM_REPLY_TO_MODE: "ALL" } });
    assertEquals(upper.config.telegram.reply_to_mode, "all");
  });
});

Deno.test("unknown keys in config.yaml are warnings, not errors", async () => {
  await withHome({ "config.yaml": "colour: blue\napi_server:\n  prot: 1\n" }, async (home) => {
    const resolved = await loadConfig({ env: { HERALD_HOME: home } });
    assertEquals(resolved.warnings?.length, 2);
    assert(resolved.warnings?.[0].includes('"colour"'));
    assert(resolved.warnings?.[1].includes('"api_server.prot"'));
  });
});

Deno.test("bad values give one line each naming the key, the expectation and the value", async () => {
  const yaml =
    "llm:\n  max_retries: 11\n  connect_timeout: 0\ntelegram:\n  reply_to_mode: sometimes\n" +
    "  webhook_url: not-a-url\napi_server:\n  enabled: maybe\n  model_name: ''\n" +
    "toolsets:\n  cli: [terminal, shell]\nagent:\n  max_iterations: 2.5\n";
  await withHome({ "config.yaml": yaml }, async (home) => {
    const lines = await configError(loadConfig({ env: { HERALD_HOME: home } }));
    assertEquals(lines.sort(), [
      "agent.max_iterations: expected a whole number, got 2.5",
      'api_server.enabled: expected true or false, got "maybe"',
      'api_server.model_name: expected a non-empty string, got ""',
      "llm.connect_timeout: expected a number greater than 0, got 0",
      "llm.max_retries: expected a number of at most 10, got 11",
      'telegram.reply_to_mode: expected one of off, first, all, got "sometimes"',
      'telegram.webhook_url: expected a URL such as https://example.com/v1, got "not-a-url"',
      'toolsets.cli[1]: expected a tool name (terminal, read_file, write_file, patch, search_files, web_fetch, memory), mcp, mcp:<server> or mcp:<server>/<tool>, optionally with a leading -, got "shell"',
    ]);
  });
});

Deno.test("a bad environment value names the variable", async () => {
  await withHome({}, async (home) => {
    const lines = await configError(
      loadConfig({ env: { HERALD_HOME: home, API_SERVER_PORT: "abc" } }),
    );
    assertEquals(lines, ['api_server.port: expected a number, got "abc" (from API_SERVER_PORT)']);
  });
});

Deno.test("a bad .env value names the variable and the file", async () => {
  await withHome({ ".env": "API_SERVER_PORT=70000\n" }, async (home) => {
    const lines = await configError(loadConfig({ env: { HERALD_HOME: home } }));
    assertEquals(lines, [
      `api_server.port: expected a number of at most 65535, got 70000 (from API_SERVER_PORT in ${
        join(home, ".env")
      })`,
    ]);
  });
});

Deno.test("a bad --port names the flag", async () => {
  await withHome({}, async (home) => {
    const lines = await configError(
      loadConfig({ env: { HERALD_HOME: home }, flags: { port: "http" } }),
    );
    assertEquals(lines, ['api_server.port: expected a number, got "http" (from --port)']);
  });
});

Deno.test("a mapping where a value is expected is reported", async () => {
  await withHome({ "config.yaml": "api_server: 5\n" }, async (home) => {
    const lines = await configError(loadConfig({ env: { HERALD_HOME: home } }));
    assertEquals(lines, ["api_server: expected a mapping of keys, got 5"]);
  });
});

Deno.test("invalid YAML names the file and the line", async () => {
  await withHome({ "config.yaml": "model:\n  name: a\n  name: b\n" }, async (home) => {
    const lines = await configError(loadConfig({ env: { HERALD_HOME: home } }));
    assertEquals(lines.length, 1);
    assert(
      lines[0].startsWith(`Cannot read config file ${join(home, "config.yaml")}: line 3: `),
      lines[0],
    );
    assert(!lines[0].includes("\n"));
  });
});

Deno.test("a missing --config file is an error, a missing default one is not", async () => {
  await withHome({}, async (home) => {
    const lines = await configError(
      loadConfig({ env: { HERALD_HOME: home }, flags: { config: join(home, "missing.yaml") } }),
    );
    assertEquals(lines, [`Cannot read config file ${join(home, "missing.yaml")}: no such file`]);
  });
});

Deno.test("a YAML list at the top level is refused", async () => {
  await withHome({ "config.yaml": "- a\n- b\n" }, async (home) => {
    const lines = await configError(loadConfig({ env: { HERALD_HOME: home } }));
    assert(lines[0].includes("expected a mapping of keys at the top level"), lines[0]);
  });
});

Deno.test("the base URL follows base_url, then the API key, then local Ollama", async () => {
  await withHome({}, async (home) => {
    const local = await loadConfig({ env: { HERALD_HOME: home } });
    assertEquals(local.baseUrl, OLLAMA_BASE_URL);
    const openai = await loadConfig({ env: { HERALD_HOME: home, OPENAI_API_KEY: "sk-real" } });
    assertEquals(openai.baseUrl, OPENAI_BASE_URL);
    const custom = await loadConfig({
      env: {
        HERALD_HOME: home,
        OPENAI_API_KEY: "sk-real",
        OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
      },
    });
    assertEquals(custom.baseUrl, "http://127.0.0.1:9/v1");
  });
});

Deno.test("the workspace is made absolute against cwd", async () => {
  await withHome({ "config.yaml": "workspace: projects/demo\n" }, async (home) => {
    const resolved = await loadConfig({ env: { HERALD_HOME: home }, cwd: "/srv" });
    assertEquals(resolved.workspace, "/srv/projects/demo");
  });
});

Deno.test("weak API server keys are refused with a clear line", async () => {
  await withHome(
    { "config.yaml": "api_server:\n  keys: [good-key-0123456789abcdef, changeme]\n" },
    async (home) => {
      const lines = await configError(
        loadConfig({ env: { HERALD_HOME: home, API_SERVER_KEY: "your-api-key-here" } }),
      );
      assertEquals(lines.length, 2);
      assert(
        lines[0].startsWith("api_server.key: the key from API_SERVER_KEY looks like a placeholder"),
        lines[0],
      );
      assert(lines[1].startsWith("api_server.keys[1]: the key is 8 characters long"), lines[1]);
    },
  );
});

Deno.test("a strong API server key is accepted", async () => {
  await withHome({}, async (home) => {
    const resolved = await loadConfig({
      env: { HERALD_HOME: home, API_SERVER_KEY: "k9F2-xQ7p-Lm3v-Zr8t" },
    });
    assertEquals(resolved.config.api_server.key, "k9F2-xQ7p-Lm3v-Zr8t");
  });
});

Deno.test("a KV Connect URL stays a URL whatever its case; a file path resolves under home", () => {
  const resolved = (kv_path: string) => ({
    config: ConfigSchema.parse({ store: { kv_path } }),
    home: "/home/me/.herald",
    workspace: "/tmp",
    baseUrl: OLLAMA_BASE_URL,
  });
  const url = "HTTPS://api.deno.com/databases/abc/connect";
  assertEquals(resolveKvPath(resolved(url)), url);
  assertEquals(resolveKvPath(resolved("data/h.kv")), "/home/me/.herald/data/h.kv");
});

Deno.test("a weak Telegram webhook secret is refused at start-up like a weak API key", async () => {
  await withHome({}, async (home) => {
    const lines = await configError(
      loadConfig({ env: { HERALD_HOME: home, TELEGRAM_WEBHOOK_SECRET: "ab" } }),
    );
    assertEquals(lines.length, 1);
    assert(
      lines[0].startsWith(
        "telegram.webhook_secret: the secret from TELEGRAM_WEBHOOK_SECRET is 2 characters long",
      ),
      lines[0],
    );
    const placeholder = await configError(
      loadConfig({ env: { HERALD_HOME: home, TELEGRAM_WEBHOOK_SECRET: "my-secret-token-here" } }),
    );
    assert(/looks like a placeholder/.test(placeholder[0]), placeholder[0]);
    const badChars = await configError(
      loadConfig({ env: { HERALD_HOME: home, TELEGRAM_WEBHOOK_SECRET: "k9F2 xQ7p Lm3v Zr8t" } }),
    );
    assert(/characters Telegram does not allow/.test(badChars[0]), badChars[0]);
    const strong = await loadConfig({
      env: { HERALD_HOME: home, TELEGRAM_WEBHOOK_SECRET: "k9F2-xQ7p_Lm3v-Zr8t" },
    });
    assertEquals(strong.config.telegram.webhook_secret, "k9F2-xQ7p_Lm3v-Zr8t");
  });
});

Deno.test("api_server.keys takes named keys with scopes, key files and bare strings", async () => {
  await withHome(
    {
      "config.yaml": [
        "api_server:",
        "  keys:",
        "    - name: alice",
        "      key: alice-key-7d1f0a9c33e8",
        "      scope: chat",
        "    - name: bob",
        "      key_file: bob.key",
        "    - plain-key-2b8e4f6a91c0",
      ].join("\n") + "\n",
    },
    async (home) => {
      const { config } = await loadConfig({ env: { HERALD_HOME: home } });
      assertEquals(config.api_server.keys, [
        { name: "alice", key: "alice-key-7d1f0a9c33e8", scope: "chat" },
        { name: "bob", key_file: "bob.key", scope: "full" },
        "plain-key-2b8e4f6a91c0",
      ]);
    },
  );
  await withHome(
    {
      "config.yaml": [
        "api_server:",
        "  keys:",
        "    - { name: alice, key: alice-key-7d1f0a9c33e8 }",
        "    - { name: Alice, key: changeme }",
        "    - { name: carol }",
      ].join("\n") + "\n",
    },
    async (home) => {
      const lines = await configError(loadConfig({ env: { HERALD_HOME: home } }));
      assert(lines.some((l) => /exactly one of key or key_file/.test(l)), lines.join("\n"));
    },
  );
});
