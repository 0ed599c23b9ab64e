/**
 * Turns argv into a command and its options, with `node:util` parseArgs checking each command's
 * options strictly. Mistakes become a {@link UsageError} with a hint, never a stack trace.
 * @module
 */
import { parseArgs } from "node:util";
import { closestName } from "../config/mod.ts";
import { COMMANDS, type CommandSpec, findCommand, HELP_OPTION } from "./commands.ts";
import { describeError } from "../lib/mod.ts";

/** A parsed command line. */
export interface ParsedCommand {
  /** The command; `serve` when none was given. */
  command: string;
  /** The sub-command, for `config check|show`. */
  subcommand?: string;
  options: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** A command line that cannot be run; `message` says why and what to do. Exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses the arguments after `herald`.
 *
 * @throws {UsageError} for an unknown command, option or sub-command, or a missing value.
 *
 * @example
 * ```ts
 * parseCommandLine(["serve", "--port", "9000"]);
 * // { command: "serve", options: { port: "9000" }, positionals: [] }
 * ```
 */
export function parseCommandLine(argv: string[]): ParsedCommand {
  const first = argv[0];
  if (first === "--version" || first === "-V") {
    return { command: "version", options: {}, positionals: [] };
  }
  if (first === "--help" || first === "-h") {
    return { command: "help", options: {}, positionals: argv.slice(1) };
  }
  // Bare `herald` and `herald --port 9000` mean serve.
  const named = first !== undefined && !first.startsWith("-");
  const name = named ? first : "serve";
  const spec = findCommand(name);
  if (!spec) {
    const suggestion = closestName(name, COMMANDS.map((command) => command.name));
    throw new UsageError(
      `Unknown command "${name}".${
        suggestion ? ` Did you mean "${suggestion}"?` : ""
      } Run \`herald help\` to see the commands.`,
    );
  }
  return parseFor(spec, named ? argv.slice(1) : argv);
}

function parseFor(spec: CommandSpec, args: string[]): ParsedCommand {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const option of [...spec.options, HELP_OPTION]) {
    options[option.name] = option.short
      ? { type: option.type, short: option.short }
      : { type: option.type };
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(
      `${describeParseError(error, spec)} Run \`herald help ${spec.name}\` for its options.`,
    );
  }
  const values = { ...parsed.values } as Record<string, string | boolean | undefined>;
  let positionals = parsed.positionals;
  let subcommand: string | undefined;
  if (spec.subcommands && !values.help) {
    subcommand = positionals[0];
    if (!subcommand || !spec.subcommands.includes(subcommand)) {
      const what = subcommand ? `Unknown sub-command "${subcommand}"` : "Missing sub-command";
      throw new UsageError(
        `${what} for herald ${spec.name}: use one of ${
          spec.subcommands.join(", ")
        }. Run \`herald help ${spec.name}\`.`,
      );
    }
    positionals = positionals.slice(1);
  }
  if (!spec.positionals && positionals.length > 0) {
    throw new UsageError(
      `Unexpected argument "${
        positionals[0]
      }" for herald ${spec.name}. Run \`herald help ${spec.name}\`.`,
    );
  }
  return { command: spec.name, subcommand, options: values, positionals };
}

// parseArgs' messages are long and name internals; say it in our own words.
function describeParseError(error: unknown, spec: CommandSpec): string {
  const message = describeError(error);
  const code = (error as { code?: string }).code;
  const option = message.match(/'(-{1,2}[^' ]+)/)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const names = spec.options.map((candidate) => candidate.name);
    const suggestion = option ? closestName(option.replace(/^-+/, ""), names) : undefined;
    return `Unknown option ${option ?? ""} for herald ${spec.name}.${
      suggestion ? ` Did you mean --${suggestion}?` : ""
    }`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const taken = /argument missing/.test(message) || /requires/.test(message);
    return taken
      ? `Option ${option ?? ""} of herald ${spec.name} needs a value.`
      : `Option ${option ?? ""} of herald ${spec.name} takes no value.`;
  }
  return `Cannot read the arguments of herald ${spec.name}: ${message}.`;
}
