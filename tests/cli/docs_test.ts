import { assert } from "./_assert.ts";
import { COMMANDS } from "../../cli/commands.ts";

const doc = await Deno.readTextFile(new URL("../../docs/cli.md", import.meta.url));

Deno.test("docs/cli.md describes every command and every option", () => {
  const missing: string[] = [];
  for (const command of COMMANDS) {
    if (!doc.includes(`herald ${command.name}`)) missing.push(command.name);
    for (const option of command.options) {
      if (!doc.includes(`--${option.name}`)) missing.push(`${command.name} --${option.name}`);
      if (option.short && !doc.includes(`-${option.short}`)) missing.push(`-${option.short}`);
    }
  }
  assert(missing.length === 0, `docs/cli.md does not mention: ${missing.join(", ")}`);
});
