// Runs main.ts as a real subprocess with a temporary HERALD_HOME and an explicit environment.
import { fileURLToPath } from "node:url";
import { HERALD_UNSTABLE_FLAGS } from "../../cli/runtime_flags.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

/** What a herald run printed and how it ended. */
export interface HeraldRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@link runHerald}. */
export interface RunOptions {
  home: string;
  env?: Record<string, string>;
  stdin?: string;
  cwd?: string;
}

/** Runs `deno run main.ts ...args`. Only PATH, HOME and the Deno cache are inherited. */
export async function runHerald(args: string[], options: RunOptions): Promise<HeraldRun> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? options.home,
    NO_COLOR: "1",
    HERALD_HOME: options.home,
    ...options.env,
  };
  const denoDir = Deno.env.get("DENO_DIR");
  if (denoDir) env.DENO_DIR = denoDir;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...HERALD_UNSTABLE_FLAGS,
      MAIN,
      ...args,
    ],
    env,
    clearEnv: true,
    cwd: options.cwd ?? options.home,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Runs `body` with a fresh temporary directory, removed afterwards. */
export async function withTempHome(body: (home: string) => Promise<void>): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "herald-cli-" });
  try {
    await body(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}
