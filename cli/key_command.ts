/**
 * `herald key`: prints the API key clients must send; `--rotate` replaces the generated one.
 * @module
 */
import { ensureApiKey, rotateApiKey } from "../config/mod.ts";
import type { ResolvedConfig } from "../config/mod.ts";
import type { CliIo } from "./io.ts";

/** Runs `herald key` and returns the exit code. The key alone goes to stdout, for scripts. */
export async function runKey(
  resolved: ResolvedConfig,
  io: CliIo,
  options: { rotate?: boolean },
): Promise<number> {
  const configured = resolved.config.api_server.key;
  if (configured !== undefined) {
    if (options.rotate) {
      io.stderr.write(
        "The API key is set by api_server.key (or API_SERVER_KEY), so there is no generated key to " +
          "rotate. Change it where it is set.\n",
      );
      return 1;
    }
    io.stdout.write(configured + "\n");
    return 0;
  }
  if (options.rotate) {
    const info = await rotateApiKey(resolved.home);
    io.stdout.write(info.key + "\n");
    io.stderr.write(`Wrote a new API key to ${info.path}. Restart herald for it to take effect.\n`);
    return 0;
  }
  const info = await ensureApiKey(resolved.home);
  io.stdout.write(info.key + "\n");
  if (info.generated) io.stderr.write(`Generated a new API key in ${info.path}.\n`);
  return 0;
}
