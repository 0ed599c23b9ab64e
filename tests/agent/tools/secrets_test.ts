import assert from "node:assert/strict";
import { z } from "zod";
import { ToolRegistry } from "../../../agent/mod.ts";
import {
  collectSecrets,
  createSecretMasker,
  isSecretEnvName,
} from "../../../agent/tools/secrets.ts";
import { testConfig, toolContext } from "./helpers.ts";

Deno.test("collectSecrets gathers configured keys and secret-looking environment variables", () => {
  const config = testConfig({
    model: { api_key: "sk-upstream-123456" },
    api_server: { key: "server-key-abcdef", keys: ["client-key-1234567"] },
    telegram: { bot_token: "123456:telegram-token" },
  });
  const secrets = collectSecrets(config, {
    GITHUB_TOKEN: "ghp_abcdefghijkl",
    AWS_SECRET_ACCESS_KEY: "aws-secret-value",
    DB_PASSWORD: "short",
    API_SERVER_KEYS: "first-key-0001,second-key-0002",
    HOME: "/home/ada",
    PWD: "/home/ada/project",
  });
  for (
    const expected of [
      "sk-upstream-123456",
      "server-key-abcdef",
      "client-key-1234567",
      "123456:telegram-token",
      "ghp_abcdefghijkl",
      "aws-secret-value",
      "first-key-0001",
      "second-key-0002",
    ]
  ) assert.ok(secrets.includes(expected), expected);
  assert.ok(!secrets.includes("short"), "values under 8 chars are not masked");
  assert.ok(!secrets.includes("/home/ada"));
});

Deno.test("secret-looking names are recognised, ordinary ones are not", () => {
  for (
    const name of ["OPENAI_API_KEY", "GITHUB_TOKEN", "DB_PASSWORD", "SECRET_KEY_BASE", "NPM_TOKEN"]
  ) {
    assert.ok(isSecretEnvName(name), name);
  }
  for (const name of ["HOME", "PATH", "PWD", "KEYBOARD_LAYOUT", "TOKENIZER_PATH_X"]) {
    assert.ok(!isSecretEnvName(name), name);
  }
});

Deno.test("the masker replaces every occurrence, longest secret first", () => {
  const mask = createSecretMasker(["abcdefgh", "abcdefgh-longer"]);
  assert.equal(mask("a abcdefgh-longer b abcdefgh"), "a [redacted] b [redacted]");
  assert.equal(createSecretMasker([])("unchanged"), "unchanged");
});

Deno.test("the registry masks secrets in outputs and in error outputs", async () => {
  const registry = new ToolRegistry({ mask: createSecretMasker(["sk-secret-999999"]) });
  registry.register({
    name: "leak",
    description: "Leaks.",
    parameters: z.object({ fail: z.boolean() }),
    execute: ({ fail }) => {
      if (fail) throw new Error("failed with key sk-secret-999999");
      return Promise.resolve("the key is sk-secret-999999");
    },
  });
  const ok = await registry.call("leak", '{"fail":false}', toolContext("/tmp"));
  assert.deepEqual(ok, { output: "the key is [redacted]", isError: false });
  const failed = await registry.call("leak", '{"fail":true}', toolContext("/tmp"));
  assert.equal(failed.isError, true);
  assert.match(failed.output, /failed with key \[redacted\]/);
  assert.doesNotMatch(failed.output, /sk-secret/);
});
