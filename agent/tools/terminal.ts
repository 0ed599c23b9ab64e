/**
 * The `terminal` tool: runs `bash -c <command>` in the workspace inside the OS sandbox (the
 * workspace the only writable folder, no network, no secrets, limits of its own), in its own
 * process group so a timeout or an abort kills the whole process tree, with stdout and stderr
 * capped while they are read. The command classifier marks dangerous commands for approval;
 * without a sandbox, dangerous commands are refused.
 * @module
 */
import { z } from "zod";
import { runInSandbox } from "../sandbox/mod.ts";
import { type CommandClass, CommandClassifier } from "./command_classifier.ts";
import type { Tool, ToolInfo, ToolOutput } from "./registry.ts";
import { SECRET_ENV_NAMES } from "./secrets.ts";
import {
  type SandboxSource,
  toolSandbox,
  type ToolSettings,
  unconfinedReason,
} from "./tool_sandbox.ts";

/** Bytes of stdout (and, separately, of stderr) kept; the middle of longer output is cut. */
export const MAX_STREAM_BYTES = 50_000;

/** Options for {@link terminalTool} besides its settings. */
export interface TerminalToolOptions {
  /** Secret values: environment variables holding them are not passed to unsandboxed commands. */
  secrets?: readonly string[];
  /** The sandbox commands run in. Default: one built from the settings. */
  sandbox?: SandboxSource;
}

const parameters = z.object({
  command: z.string().min(1).describe(
    "The bash command to run, e.g. `ls -la` or `deno test 2>&1 | tail -50`. Runs with `bash -c` " +
      "in the workspace directory; use && to chain steps. No interactive input is available.",
  ),
  timeout: z.number().positive().optional().describe(
    "Seconds before the command is killed. Raise it for long builds or tests.",
  ),
});

/** The terminal tool, with the classification the approval policy reads. */
export interface TerminalTool extends Tool<typeof parameters> {
  /**
   * Classifies a command: dangerous ones need approval; refused ones never run. Without an OS
   * sandbox every command is dangerous, so the default policy asks before each one.
   */
  classify(args: { command: string }): Promise<CommandClass>;
}

/** What the CLI and docs need about the `terminal` tool. */
export const TERMINAL_INFO: ToolInfo = {
  name: "terminal",
  summaryArgs: ["command"],
};

/**
 * Creates the terminal tool.
 *
 * @example
 * ```ts
 * registry.register(terminalTool(config.tools));
 * ```
 */
export function terminalTool(
  settings: ToolSettings,
  options: TerminalToolOptions = {},
): TerminalTool {
  const { timeout: defaultTimeout, max_timeout: maxTimeout } = settings.terminal;
  const classifier = new CommandClassifier({
    deny: settings.terminal.deny,
    allow: settings.terminal.allow,
  });
  return {
    ...TERMINAL_INFO,
    description: "Run a shell command (bash) on the machine, in the workspace directory, inside " +
      "a sandbox: only the workspace is writable" +
      (settings.sandbox === "read-only" ? " (here: nothing is, the sandbox is read-only)" : "") +
      (settings.sandbox_network ? "" : ", there is no network") +
      ", and home folders are not visible. Returns the exit code, stdout and stderr; each " +
      "stream keeps at most ~50 KB (the middle of longer output is cut, so filter it with " +
      `grep, head or tail). Default timeout ${defaultTimeout} s, at most ${maxTimeout} s.`,
    parameters,
    classify: async ({ command }) => {
      const verdict = classifier.classify(command);
      const sandbox = await toolSandbox(settings, options.sandbox);
      if (verdict.dangerous || sandbox.confined) return verdict;
      return { dangerous: true, reason: unconfinedReason(sandbox) };
    },
    async execute({ command, timeout }, context): Promise<ToolOutput> {
      const verdict = classifier.classify(command);
      if (verdict.refused) return { output: `blocked: ${verdict.reason}.`, isError: true };
      const sandbox = await toolSandbox(settings, options.sandbox);
      // Unconfined, a dangerous command runs only with a person's approval of this very call.
      if (verdict.dangerous && !sandbox.confined && !context.approved) {
        return {
          output: `blocked: ${verdict.reason}. No OS sandbox confines this gateway ` +
            `(${sandbox.status().summary}), so dangerous commands are refused; do not retry ` +
            "it in another form. If the user really wants it, they can run it themselves.",
          isError: true,
        };
      }
      const seconds = Math.min(timeout ?? defaultTimeout, maxTimeout);
      let result;
      try {
        result = await runInSandbox(sandbox, ["bash", "-c", command], {
          layout: "terminal",
          workspace: context.workspace,
          hostEnv: commandEnv(options.secrets ?? []),
          timeoutMs: seconds * 1000,
          signal: context.signal,
          maxStdout: MAX_STREAM_BYTES,
          maxStderr: MAX_STREAM_BYTES,
        });
      } catch (e) {
        if (context.signal.aborted) {
          return { output: "exit code: killed (interrupted)", isError: true };
        }
        return { output: `error: cannot start bash: ${(e as Error).message}`, isError: true };
      }
      const lines: string[] = [];
      if (result.ended === "timeout") {
        lines.push(`exit code: killed (timed out after ${seconds} s)`);
      } else if (result.ended === "abort") lines.push("exit code: killed (interrupted)");
      else if (result.signal) lines.push(`exit code: ${result.code} (signal ${result.signal})`);
      else lines.push(`exit code: ${result.code}`);
      lines.push(
        "",
        section("stdout", result.stdout.text()),
        "",
        section("stderr", result.stderr.text()),
      );
      if (!result.pipesClosed) {
        lines.push(
          "",
          "[note: background processes kept the output open; later output is not shown]",
        );
      }
      return { output: lines.join("\n"), isError: result.ended !== null };
    },
  };
}

/** The parent environment minus the gateway's own secrets. */
function commandEnv(secrets: readonly string[]): Record<string, string> {
  const env = Deno.env.toObject();
  const secretValues = new Set(secrets);
  for (const [name, value] of Object.entries(env)) {
    if (SECRET_ENV_NAMES.includes(name) || secretValues.has(value)) delete env[name];
  }
  return env;
}

function section(name: string, text: string): string {
  return text === "" ? `${name}: (empty)` : `${name}:\n${text.replace(/\n$/, "")}`;
}
