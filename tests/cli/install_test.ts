/**
 * `deno task install`: the installed `herald` runs with exactly the start task's flags, works from
 * any folder and takes that folder as its workspace.
 */
import { assert, assertEquals } from "./_assert.ts";
import { join } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { INSTALL_RUN_FLAGS } from "../../cli/install.ts";

const INSTALLER = new URL("../../cli/install.ts", import.meta.url).pathname;

Deno.test("the installed command runs with exactly the flags of deno task start", () => {
  const start = denoJson.tasks.start.split(/\s+/);
  const flags = start.slice(start.indexOf("run") + 1, start.indexOf("main.ts"));
  assertEquals([...INSTALL_RUN_FLAGS].sort(), flags.sort());
});

Deno.test("deno task install gives a herald command whose workspace is the folder it runs in", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herald_install_" });
  try {
    const env: Record<string, string> = {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? dir,
      DENO_NO_UPDATE_CHECK: "1",
      NO_COLOR: "1",
    };
    const denoDir = Deno.env.get("DENO_DIR");
    if (denoDir) env.DENO_DIR = denoDir;
    const root = join(dir, "root");
    const installed = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-run", "--allow-env", INSTALLER, "--root", root],
      env,
      clearEnv: true,
      cwd: dir,
    }).output();
    const installLog = new TextDecoder().decode(installed.stderr);
    assertEquals(installed.code, 0, installLog);
    assert(installLog.includes("Installed `herald`"), installLog);

    const project = join(dir, "some project");
    await Deno.mkdir(project);
    const herald = join(root, "bin", "herald");
    const shown = await new Deno.Command(herald, {
      args: ["config", "show"],
      env: {
        ...env,
        PATH: `${join(Deno.execPath(), "..")}:${env.PATH}`,
        HERALD_HOME: join(dir, "home"),
      },
      clearEnv: true,
      cwd: project,
    }).output();
    const out = new TextDecoder().decode(shown.stdout);
    assertEquals(shown.code, 0, new TextDecoder().decode(shown.stderr));
    assert(out.includes(`# workspace: ${project}`), out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
