import { assertEquals } from "./_assert.ts";
import { maskConfig, maskSecret } from "../../config/mask.ts";
import { ConfigSchema } from "../../config/schema.ts";

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
