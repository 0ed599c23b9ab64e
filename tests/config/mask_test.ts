import { assertEquals } from "./_assert.ts";
import { maskConfig, maskSecret, maskUrl } from "../../config/mod.ts";
import { ConfigSchema } from "../../config/mod.ts";

Deno.test("long secrets keep four characters at each end, short ones are hidden", () => {
  assertEquals(maskSecret("sk-proj-abcdefghijklmnop"), "sk-p…mnop");
  assertEquals(maskSecret("short-secret"), "***");
});

Deno.test("every secret in the configuration is masked and nothing else changes", () => {
  const config = ConfigSchema.parse({
    model: {
      api_key: "sk-upstream-0123456789",
      fallbacks: [{ name: "backup", api_key: "sk-backup-0123456789" }],
    },
    api_server: { key: "server-key-0123456789", keys: ["client-key-0123456789"] },
    telegram: { bot_token: "123456:ABCDEFGHIJKLMNOP", webhook_secret: "tiny" },
  });
  const masked = maskConfig(config);
  assertEquals(masked.model.api_key, "sk-u…6789");
  assertEquals(masked.model.fallbacks[0].api_key, "sk-b…6789");
  assertEquals(masked.api_server.key, "serv…6789");
  assertEquals(masked.api_server.keys, ["clie…6789"]);
  assertEquals(masked.telegram.bot_token, "1234…MNOP");
  assertEquals(masked.telegram.webhook_secret, "***");
  assertEquals(masked.api_server.port, config.api_server.port);
  assertEquals(config.model.api_key, "sk-upstream-0123456789", "the original is untouched");
});

Deno.test("credentials inside URLs are masked, other URLs and paths are left alone", () => {
  const config = ConfigSchema.parse({
    model: {
      base_url: "https://user:pa55-secret@llm.example/v1",
      fallbacks: [{ name: "b", base_url: "http://:only-pw@10.0.0.2:8000/v1" }],
    },
    telegram: { api_root: "https://api.telegram.org" },
  });
  const masked = maskConfig(config);
  assertEquals(masked.model.base_url, "https://***:***@llm.example/v1");
  assertEquals(masked.model.fallbacks[0].base_url, "http://:***@10.0.0.2:8000/v1");
  assertEquals(masked.telegram.api_root, "https://api.telegram.org");
  assertEquals(maskUrl("relative/kv.sqlite"), "relative/kv.sqlite");
});
