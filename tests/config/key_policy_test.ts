import { assert, assertEquals } from "./_assert.ts";
import { generateApiKey } from "../../config/mod.ts";
import { weakKeyReason } from "../../config/mod.ts";

Deno.test("short keys are refused", () => {
  assertEquals(weakKeyReason("abc123"), "is 6 characters long; use at least 16");
});

Deno.test("placeholder keys are refused whatever their case and separators", () => {
  for (
    const key of [
      "changeme-changeme",
      "CHANGEMECHANGEME1",
      "your-key-here-please".replace("-please", "-here"),
      "YOUR_API_KEY_HERE",
      "sk-xxxxxxxxxxxxxxxxxxxx",
      "xxxxxxxxxxxxxxxxxxxx",
      "password12345678",
      "secret-secret-secret",
      "test-test-test-test",
      "placeholder-placeholder",
      "1234567890123456",
      "aaaaaaaaaaaaaaaaaaaa",
      "################",
    ]
  ) {
    assert(weakKeyReason(key) !== null, `${key} should be refused`);
  }
});

Deno.test("random keys are accepted", () => {
  for (let i = 0; i < 50; i++) {
    const key = generateApiKey();
    assertEquals(weakKeyReason(key), null, key);
  }
  assertEquals(weakKeyReason("k9F2-xQ7p-Lm3v-Zr8t"), null);
});
