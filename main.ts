/**
 * The `herald` executable: hands the arguments to the CLI and exits with its code.
 * @module
 */
import { runCli } from "./cli/mod.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}
