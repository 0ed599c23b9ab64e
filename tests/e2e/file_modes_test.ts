/**
 * $HERALD_HOME is owner-only after a real first start with a configured key: the directory 0700,
 * the store and SQLite's side files 0600, and looser modes left by someone else fixed with a
 * warning in the banner.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { E2E_KEY, HeraldProcess } from "./herald_process.ts";

const AUTH_HEADER = { Authorization: `Bearer ${E2E_KEY}` };

const UPSTREAM = "http://127.0.0.1:9/v1";
const posix = Deno.build.os !== "windows";

async function mode(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

Deno.test({
  name: "a first start with a configured key leaves $HERALD_HOME and every file in it owner-only",
  ignore: !posix,
  async fn() {
    const parent = await Deno.makeTempDir({ prefix: "herald_modes_" });
    const home = join(parent, "home");
    try {
      await using herald = await HeraldProcess.start(UPSTREAM, { home });
      // A stored conversation makes the store write (WAL and all).
      const res = await fetch(`${herald.url}/v1/conversations`, {
        method: "POST",
        headers: { ...AUTH_HEADER, "Content-Type": "application/json" },
        body: JSON.stringify({ metadata: { topic: "modes" } }),
      });
      assert.equal(res.status, 200, await res.text());
      assert.equal(await mode(home), 0o700);
      const files = ["herald.kv", "herald.kv.lock", "herald.kv-wal", "herald.kv-shm"];
      for (const name of files) {
        const path = join(home, name);
        assert.equal(await mode(path), 0o600, `${name} is ${(await mode(path)).toString(8)}`);
      }
    } finally {
      await Deno.remove(parent, { recursive: true });
    }
  },
});

Deno.test({
  name: "start-up tightens a home and files left readable by others, and says so",
  ignore: !posix,
  async fn() {
    const home = await Deno.makeTempDir({ prefix: "herald_modes_" });
    try {
      await Deno.chmod(home, 0o755);
      await Deno.writeTextFile(join(home, "config.yaml"), "agent:\n  max_iterations: 5\n");
      await Deno.chmod(join(home, "config.yaml"), 0o644);
      await Deno.mkdir(join(home, "notes"));
      await Deno.chmod(join(home, "notes"), 0o775);
      await Deno.writeTextFile(join(home, "notes", "x.txt"), "private");
      await Deno.chmod(join(home, "notes", "x.txt"), 0o664);
      await Deno.mkdir(join(home, "workspace"));
      await Deno.chmod(join(home, "workspace"), 0o755);
      await using herald = await HeraldProcess.start(UPSTREAM, { home });
      assert.equal(await mode(home), 0o700);
      assert.equal(await mode(join(home, "config.yaml")), 0o600);
      assert.equal(await mode(join(home, "notes")), 0o700);
      assert.equal(await mode(join(home, "notes", "x.txt")), 0o600);
      assert.match(
        herald.stdout,
        /warning: .*config\.yaml was readable by other users \(mode 0644\); changed to 0600/,
      );
      // The workspace is the user's: it keeps its mode.
      assert.equal(await mode(join(home, "workspace")), 0o755);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});
