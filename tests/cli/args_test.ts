import { assert, assertEquals } from "./_assert.ts";
import { parseCommandLine, UsageError } from "../../cli/mod.ts";
import { COMMANDS } from "../../cli/commands.ts";
import { renderCommandHelp, renderHelp } from "../../cli/help.ts";

function usageError(argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (error) {
    assert(error instanceof UsageError, String(error));
    return error.message;
  }
  throw new Error(`${argv.join(" ")} parsed without error`);
}

Deno.test("no command means serve, also with serve's options", () => {
  assertEquals(parseCommandLine([]), {
    command: "serve",
    subcommand: undefined,
    options: {},
    positionals: [],
  });
  assertEquals(parseCommandLine(["--port", "9000"]).options, { port: "9000" });
  assertEquals(parseCommandLine(["--port", "9000"]).command, "serve");
});

Deno.test("commands take their own options, long and short", () => {
  assertEquals(parseCommandLine(["serve", "--host", "0.0.0.0", "--port=1"]).options, {
    host: "0.0.0.0",
    port: "1",
  });
  assertEquals(parseCommandLine(["chat", "-q", "hello there"]).options, { query: "hello there" });
  assertEquals(parseCommandLine(["key", "--rotate"]).options, { rotate: true });
  const config = parseCommandLine(["config", "show", "--config", "x.yaml"]);
  assertEquals([config.command, config.subcommand, config.options.config], [
    "config",
    "show",
    "x.yaml",
  ]);
});

Deno.test("version and help are reachable as flags and commands", () => {
  assertEquals(parseCommandLine(["--version"]).command, "version");
  assertEquals(parseCommandLine(["-V"]).command, "version");
  assertEquals(parseCommandLine(["--help"]).command, "help");
  assertEquals(parseCommandLine(["help", "chat"]).positionals, ["chat"]);
  assertEquals(parseCommandLine(["doctor", "-h"]).options.help, true);
  assertEquals(parseCommandLine(["config", "--help"]).options.help, true);
});

Deno.test("an unknown command is refused with a suggestion and a hint", () => {
  assertEquals(
    usageError(["sevre"]),
    'Unknown command "sevre". Did you mean "serve"? Run `herald help` to see the commands.',
  );
  assertEquals(
    usageError(["frobnicate"]),
    'Unknown command "frobnicate". Run `herald help` to see the commands.',
  );
});

Deno.test("an unknown option is refused with a suggestion and a hint", () => {
  assertEquals(
    usageError(["serve", "--prot", "1"]),
    "Unknown option --prot for herald serve. Did you mean --port? Run `herald help serve` for its options.",
  );
  assertEquals(
    usageError(["key", "--verbose"]),
    "Unknown option --verbose for herald key. Run `herald help key` for its options.",
  );
});

Deno.test("a missing or unexpected value is refused", () => {
  assertEquals(
    usageError(["serve", "--port"]),
    "Option --port of herald serve needs a value. Run `herald help serve` for its options.",
  );
  assert(
    usageError(["key", "--rotate=yes"]).startsWith("Option --rotate of herald key takes no value."),
  );
  assert(
    usageError(["serve", "extra"]).startsWith('Unexpected argument "extra" for herald serve.'),
  );
});

Deno.test("config needs check or show", () => {
  assertEquals(
    usageError(["config"]),
    "Missing sub-command for herald config: use one of check, show. Run `herald help config`.",
  );
  assert(usageError(["config", "chek"]).startsWith('Unknown sub-command "chek" for herald config'));
});

Deno.test("help lists every command and every option", () => {
  const overview = renderHelp("1.2.3");
  assert(overview.includes("herald 1.2.3"));
  for (const command of COMMANDS) {
    assert(overview.includes(`  ${command.name} `), command.name);
    const help = renderCommandHelp(command);
    for (const option of command.options) assert(help.includes(`--${option.name}`), option.name);
    for (const option of command.options) {
      assert(overview.includes(`--${option.name}`), option.name);
    }
  }
});
