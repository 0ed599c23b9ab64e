/**
 * The `herald` executable: hands the arguments to the CLI and exits with its code.
 * @module
 */
import { FILE_HELPER_ARG, runFileHelper } from "./agent/mod.ts";
import { runCli } from "./cli/mod.ts";

if (import.meta.main) {
  // A compiled Herald is its own file helper: the file tools start it in their sandbox.
  if (Deno.args[0] === FILE_HELPER_ARG) {
    await runFileHelper();
    Deno.exit(0);
  }
  Deno.exit(await runCli(Deno.args));
}
