import { assert, assertEquals } from "./_assert.ts";
import { join } from "node:path";
import { ensureApiKey, rotateApiKey } from "../../config/mod.ts";

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "herald-key-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the first call generates a key file readable only by its owner", async () => {
  await withTempDir(async (dir) => {
    const home = join(dir, "home");
    const first = await ensureApiKey(home);
    assertEquals(first.generated, true);
    assertEquals(first.path, join(home, "api_key"));
    assert(/^herald-[A-Za-z0-9_-]{43}$/.test(first.key), first.key);
    assertEquals((await Deno.readTextFile(first.path)).trim(), first.key);
    if (Deno.build.os !== "windows") {
      assertEquals((await Deno.stat(first.path)).mode! & 0o777, 0o600);
      assertEquals((await Deno.stat(home)).mode! & 0o777, 0o700);
    }
  });
});

Deno.test("later calls reuse the stored key", async () => {
  await withTempDir(async (home) => {
    const first = await ensureApiKey(home);
    const second = await ensureApiKey(home);
    assertEquals(second, { key: first.key, generated: false, path: first.path });
  });
});

Deno.test("an empty key file is replaced by a new key", async () => {
  await withTempDir(async (home) => {
    await Deno.writeTextFile(join(home, "api_key"), "\n");
    const info = await ensureApiKey(home);
    assertEquals(info.generated, true);
    assertEquals((await Deno.readTextFile(info.path)).trim(), info.key);
  });
});

Deno.test("rotating replaces the key and keeps the file private", async () => {
  await withTempDir(async (home) => {
    const first = await ensureApiKey(home);
    const rotated = await rotateApiKey(home);
    assert(rotated.key !== first.key);
    assertEquals((await ensureApiKey(home)).key, rotated.key);
    if (Deno.build.os !== "windows") {
      assertEquals((await Deno.stat(rotated.path)).mode! & 0o777, 0o600);
    }
    assertEquals([...Deno.readDirSync(home)].map((entry) => entry.name), ["api_key"]);
  });
});
