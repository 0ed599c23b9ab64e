import { assertEquals } from "./_assert.ts";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import denoJson from "../../deno.json" with { type: "json" };

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("the bundle is self-contained and runs --version", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herald-bundle-" });
  try {
    const bundle = join(dir, "herald.js");
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "deno", "--output", bundle, "main.ts"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(built.code, 0, new TextDecoder().decode(built.stderr));
    // Run it from the temp dir, away from deno.json and its import map.
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--unstable-kv", "--no-config", bundle, "--version"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(new TextDecoder().decode(run.stdout), `herald ${denoJson.version}\n`);
    assertEquals(run.code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
