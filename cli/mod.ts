/**
 * The `herald` command line: parses the arguments, loads the configuration and runs one command.
 * Every failure becomes a message and an exit code (2: usage or configuration, 1: the command
 * failed), never a stack trace.
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };
import { FILE_HELPER_ARG, runFileHelper } from "../agent/mod.ts";
import { ConfigError } from "../config/mod.ts";
import { type ConfigFlags, loadConfig } from "../config/mod.ts";
import type { ResolvedConfig } from "../config/mod.ts";
import { parseCommandLine, type ParsedCommand, UsageError } from "./args.ts";
import { findCommand } from "./commands.ts";
import { renderCommandHelp, renderHelp } from "./help.ts";
import { type CliIo, forUser, processIo } from "./io.ts";
import { runServe } from "./serve.ts";
import { describeError } from "../lib/mod.ts";

export { parseCommandLine, UsageError } from "./args.ts";
export type { ParsedCommand } from "./args.ts";
export { renderChatStream } from "./chat_renderer.ts";
export type { ChatRenderOptions } from "./chat_renderer.ts";
export { BufferWriter, processIo } from "./io.ts";
export type { CliIo, TextWriter } from "./io.ts";

/** Herald's version, from deno.json. */
export const VERSION: string = denoJson.version;

/**
 * Runs `herald` with the given arguments and returns the process exit code.
 *
 * @example
 * ```ts
 * Deno.exit(await runCli(Deno.args));
 * ```
 */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  // Hints name commands the way this user runs them (`deno task herald key` from a checkout).
  const say = (text: string) => io.stderr.write(forUser(text, io.command) + "\n");
  // A compiled Herald is its own file helper: the file tools start it in their sandbox.
  if (argv[0] === FILE_HELPER_ARG) {
    await runFileHelper();
    return 0;
  }
  let parsed: ParsedCommand;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    say(`herald: ${error.message}`);
    return 2;
  }
  try {
    return await dispatch(parsed, io);
  } catch (error) {
    if (error instanceof ConfigError) {
      say(error.lines.join("\n"));
      return 2;
    }
    if (error instanceof UsageError) {
      say(`herald: ${error.message}`);
      return 2;
    }
    say(`herald: ${describeError(error)}`);
    return 1;
  }
}

// Each command's module is imported when it runs: `serve` should not pay for the others'
// dependencies (the yaml printer, the doctor's checks, the chat renderer) at start-up.
async function dispatch(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const { command, options } = parsed;
  if (options.help) return printHelp(command, io);
  switch (command) {
    case "version":
      io.stdout.write(`herald ${VERSION}\n`);
      return 0;
    case "help":
      return printHelp(parsed.positionals[0], io);
    case "serve": {
      const resolved = await load(parsed, io);
      const { startGateway } = await import("../gateway/mod.ts");
      return await runServe(resolved, io, startGateway, { verbose: options.verbose === true });
    }
    case "chat": {
      const query = options.query as string | undefined;
      if (query !== undefined && query.trim() === "") {
        throw new UsageError("The question given with -q is empty.");
      }
      const resolved = await load(parsed, io);
      const { openRuntime } = await import("../gateway/mod.ts");
      const { runChat } = await import("./chat.ts");
      return await runChat(resolved, io, { query, openRuntime });
    }
    case "config": {
      const resolved = await load(parsed, io);
      const { runConfigCheck, runConfigShow } = await import("./config_command.ts");
      return parsed.subcommand === "show"
        ? runConfigShow(resolved, io)
        : runConfigCheck(resolved, io);
    }
    case "key": {
      const resolved = await load(parsed, io);
      const { runKey } = await import("./key_command.ts");
      return await runKey(resolved, io, {
        rotate: options.rotate === true,
        scope: options.scope as string | undefined,
        args: parsed.positionals,
      });
    }
    case "audit": {
      const resolved = await load(parsed, io);
      const { runAudit } = await import("./audit_command.ts");
      return await runAudit(resolved, io, {
        tool: options.tool as string | undefined,
        since: options.since as string | undefined,
        json: options.json === true,
        follow: options.follow === true,
      });
    }
    case "mcp": {
      const resolved = await load(parsed, io);
      const { runMcpCall, runMcpList } = await import("./mcp_command.ts");
      if (parsed.subcommand === "list") {
        if (parsed.positionals.length) {
          throw new UsageError("herald mcp list takes no arguments.");
        }
        return await runMcpList(resolved, io);
      }
      return await runMcpCall(resolved, io, parsed.positionals);
    }
    case "doctor": {
      const resolved = await load(parsed, io);
      const { runDoctor } = await import("./doctor.ts");
      return await runDoctor(resolved, io);
    }
    default:
      throw new UsageError(`Unknown command "${command}".`);
  }
}

function load(parsed: ParsedCommand, io: CliIo): Promise<ResolvedConfig> {
  const flags: ConfigFlags = {};
  for (const name of ["host", "port", "config"] as const) {
    const value = parsed.options[name];
    if (typeof value === "string") flags[name] = value;
  }
  return loadConfig({ env: io.env, cwd: io.cwd, flags });
}

function printHelp(topic: string | undefined, io: CliIo): number {
  if (topic === undefined || topic === "help") {
    io.stdout.write(renderHelp(VERSION));
    return 0;
  }
  const spec = findCommand(topic);
  if (!spec) {
    throw new UsageError(`Unknown command "${topic}". Run \`herald help\` to see the commands.`);
  }
  io.stdout.write(renderCommandHelp(spec));
  return 0;
}
