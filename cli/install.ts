/**
 * `deno task install`: installs a `herald` command from this checkout with `deno install
 * --global`, running `main.ts` with exactly the permissions and flags `deno task start` uses, so
 * `herald serve` works from any folder and takes that folder as its workspace.
 * @module
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { HERALD_RUN_FLAGS } from "./runtime_flags.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** The permissions and flags the installed command runs with: those of `deno task start`. */
export const INSTALL_RUN_FLAGS: readonly string[] = ["-A", ...HERALD_RUN_FLAGS];

/**
 * The `deno install` arguments for a `herald` command from the checkout at `root`.
 *
 * @example
 * ```ts
 * installArgs("/src/herald", { root: "/tmp/bin-root" });
 * // ["install", "--global", "--force", "--name", "herald", "-A", "--unstable-kv", …]
 * ```
 */
export function installArgs(checkout: string, options: { root?: string; name?: string } = {}) {
  return [
    "install",
    "--global",
    "--force",
    "--name",
    options.name ?? "herald",
    ...(options.root ? ["--root", options.root] : []),
    ...INSTALL_RUN_FLAGS,
    // The import map (npm: packages) lives in deno.json; the command runs wherever it is called.
    "--config",
    join(checkout, "deno.json"),
    join(checkout, "main.ts"),
  ];
}

async function main(args: string[]): Promise<number> {
  const options: { root?: string; name?: string } = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--root") options.root = args[++i];
    else if (args[i] === "--name") options.name = args[++i];
    else {
      console.error(
        `Unknown argument ${args[i]}. Usage: deno task install [--root DIR] [--name NAME]`,
      );
      return 2;
    }
  }
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: installArgs(ROOT, options),
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error("deno install failed; see above.");
    return 1;
  }
  const name = options.name ?? "herald";
  console.error(
    `Installed \`${name}\`. Run \`${name} serve\` in the folder the agent should work in ` +
      `(it becomes the workspace); \`${name} help\` lists the commands. If \`${name}\` is not ` +
      "found, add Deno's bin folder (~/.deno/bin, or the --root you gave followed by /bin) to PATH.",
  );
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
