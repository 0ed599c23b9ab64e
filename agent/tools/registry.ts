/**
 * The tool registry: tools declare a zod schema for their arguments (the JSON schema the model
 * sees is derived from it), a description and an execute function that honours an AbortSignal.
 * A failing tool never ends the turn: every failure becomes a tool result the model can read.
 * @module
 */
import type { TurnResources } from "./turn_resources.ts";
import { z } from "zod";
import type { ToolCallRisk } from "../approvals.ts";
import type { Platform } from "../events.ts";
import { maskArgumentSecrets } from "./secrets.ts";

/** The origin of Herald's built-in tools: the `server_label` clients see on their calls. */
export const HERALD_ORIGIN = "herald";

/** What a tool gets besides its arguments. */
export interface ToolContext {
  /** Aborted when the client leaves, the turn is stopped, or the gateway shuts down. */
  signal: AbortSignal;
  /** The directory file and terminal tools work in. */
  workspace: string;
  platform: Platform;
  /** The conversation key (chat id, conversation name), when there is one. */
  sessionKey?: string;
  /** Who asked (an API key's name, a platform user), for the audit trail. */
  actor?: string;
  /**
   * True when a person approved this very call: a tool may then run what it would otherwise
   * refuse as dangerous (the sandbox still confines it).
   */
  approved?: boolean;
  /**
   * What tools keep for the rest of the turn (the sandboxed file helper), closed when the turn
   * ends. Without it each call starts and ends its own.
   */
  turn?: TurnResources;
  /**
   * Aborted when what `turn` belongs to ends (an agent turn, an MCP session): the resources the
   * turn keeps die with it. Without it they die with `signal`, the call's or the turn's.
   */
  turnSignal?: AbortSignal;
}

/** What the registry knows of an MCP server's tool besides its origin (the server's label). */
export interface McpToolMeta {
  /** The tool's own name on its server (the model sees a namespaced one). */
  name: string;
  /** The server's annotations say the tool may destroy or change things (MCP's default). */
  destructive?: boolean;
  /** The approval policy configured for the server, overriding the front door's. */
  approval?: "never" | "dangerous" | "always";
}

/** A tool's result: text for the model, and whether it reports a failure. */
export interface ToolOutput {
  output: string;
  isError?: boolean;
}

/**
 * What the CLI and docs need about a built-in tool, known without building it (see
 * `BUILTIN_TOOL_INFO`); each tool's definition spreads its own.
 */
export interface ToolInfo {
  /** The name the model calls it by. */
  name: string;
  /**
   * The arguments that summarise a call in one line (`terminal: ls -la`), most telling first:
   * the first one present as a string is shown.
   */
  summaryArgs: readonly string[];
}

/** A server-side tool the agent can run. */
// deno-lint-ignore no-explicit-any
export interface Tool<S extends z.ZodType = z.ZodType<any>> {
  /** The name the model calls it by. */
  name: string;
  /** The arguments that summarise a call in one line; see {@link ToolInfo.summaryArgs}. */
  summaryArgs?: readonly string[];
  /** Tells the model what the tool does and when to use it. */
  description: string;
  /** Arguments schema; its JSON schema is what the model sees. */
  parameters: S;
  /** True when the tool only reads: such calls from one model response may run concurrently. */
  readOnly?: boolean;
  /**
   * The JSON schema the model sees, when the tool brings its own (an MCP server's tool) instead of
   * deriving it from `parameters`; `parameters` still validates the arguments' outer shape.
   */
  inputSchema?: Record<string, unknown>;
  /**
   * Where the tool comes from, as front doors label it: `herald` (the default) for the built-in
   * tools, an MCP server's label for the tools it provides. The Responses API reports a call as
   * an `mcp_call` item with this `server_label`.
   */
  origin?: string;
  /** For an MCP server's tool: its name on the server and what the server says about it. */
  mcp?: McpToolMeta;
  /**
   * Classifies a call for the approval policy: is it dangerous, and why. Without it no call is
   * dangerous (the `always` policy still asks for tools that are not read-only). It gets the
   * validated arguments; keep it cheap and bounded, it runs on the gateway's thread.
   */
  classify?(args: z.infer<S>, context: ToolContext): ToolCallRisk | Promise<ToolCallRisk>;
  /** Runs the tool. Throwing is fine: the registry turns it into an error result. */
  execute(args: z.infer<S>, context: ToolContext): Promise<string | ToolOutput>;
}

/** The OpenAI function-tool declaration sent upstream. */
export interface FunctionToolSpec {
  type: "function";
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/** The outcome of one call through the registry. */
export interface ToolCallOutcome {
  output: string;
  isError: boolean;
}

/** Options for {@link ToolRegistry}. */
export interface ToolRegistryOptions {
  /** Applied to every call's output, errors included: masks secrets before the model sees them. */
  mask?: (text: string) => string;
  /**
   * Told about every finished call, for the audit trail. Its arguments are already masked: the
   * configured secrets and anything that looks like one (see `maskArgumentSecrets`).
   */
  onCall?: (call: FinishedToolCall) => void;
}

/** One finished tool call, as the audit trail records it. */
export interface FinishedToolCall {
  tool: string;
  /** The JSON arguments with secrets masked. */
  arguments: string;
  context: Omit<ToolContext, "signal" | "turn">;
  isError: boolean;
  /** The first line of the output when the call failed. */
  error?: string;
  durationMs: number;
  /** When the call started (epoch ms). */
  startedAt: number;
}

/**
 * Holds the server tools and runs calls to them.
 *
 * @example
 * ```ts
 * const registry = new ToolRegistry();
 * registry.register({
 *   name: "echo", description: "Echo text back.",
 *   parameters: z.object({ text: z.string() }),
 *   execute: ({ text }) => Promise.resolve(text),
 * });
 * ```
 */
export class ToolRegistry {
  #tools = new Map<string, Tool>();
  #specs = new Map<string, FunctionToolSpec>();
  #mask: (text: string) => string;
  #onCall?: (call: FinishedToolCall) => void;
  #version = 0;

  constructor(options: ToolRegistryOptions = {}) {
    this.#mask = options.mask ?? ((text) => text);
    this.#onCall = options.onCall;
  }

  /** Adds a tool; a second tool with the same name replaces the first. */
  // deno-lint-ignore no-explicit-any
  register<S extends z.ZodType<any>>(tool: Tool<S>): this {
    this.#version++;
    this.#tools.set(tool.name, tool as unknown as Tool);
    const schema = tool.inputSchema
      ? { ...tool.inputSchema }
      : z.toJSONSchema(tool.parameters, { target: "draft-7" }) as Record<string, unknown>;
    delete schema.$schema;
    this.#specs.set(tool.name, {
      type: "function",
      function: { name: tool.name, description: tool.description, parameters: schema },
    });
    return this;
  }

  /** Removes a tool (an MCP server's tool that went away); unknown names are ignored. */
  unregister(name: string): this {
    this.#version++;
    this.#tools.delete(name);
    this.#specs.delete(name);
    return this;
  }

  /**
   * Goes up whenever a tool is registered or removed: what was derived from the tools (a
   * resolved toolset) is still good while it is unchanged.
   */
  get version(): number {
    return this.#version;
  }

  /** Every registered tool, in registration order. */
  tools(): Tool[] {
    return [...this.#tools.values()];
  }

  /** The tool with this name, if registered. */
  get(name: string): Tool | undefined {
    return this.#tools.get(name);
  }

  /** The origin of the named tool (see {@link Tool.origin}); `herald` when unset or unknown. */
  originOf(name: string): string {
    return this.#tools.get(name)?.origin ?? HERALD_ORIGIN;
  }

  /** Every registered tool name. */
  names(): string[] {
    return [...this.#tools.keys()];
  }

  /** The upstream declarations of the named tools (all tools when `only` is omitted). */
  specs(only?: readonly string[]): FunctionToolSpec[] {
    const names = only ?? this.names();
    return names.flatMap((n) => this.#specs.get(n) ?? []);
  }

  /**
   * Classifies a call for the approval policy (see {@link Tool.classify}). Arguments that do not
   * parse are not dangerous: the call will fail without running.
   */
  async classify(name: string, rawArguments: string, context: ToolContext): Promise<ToolCallRisk> {
    const tool = this.#tools.get(name);
    if (!tool?.classify) return { dangerous: false };
    let args: unknown;
    try {
      args = rawArguments.trim() === "" ? {} : JSON.parse(rawArguments);
    } catch {
      return { dangerous: false };
    }
    const parsed = tool.parameters.safeParse(args);
    if (!parsed.success) return { dangerous: false };
    try {
      return await tool.classify(parsed.data, context);
    } catch (e) {
      return { dangerous: true, reason: `it could not be classified (${(e as Error)?.message})` };
    }
  }

  /**
   * Runs one call: parses the JSON arguments, validates them, executes, and turns every failure
   * (bad JSON, missing parameters, unknown tool, exceptions) into an error result. The output is
   * passed through the `mask` option.
   */
  async call(name: string, rawArguments: string, context: ToolContext): Promise<ToolCallOutcome> {
    const startedAt = Date.now();
    const started = performance.now();
    const outcome = await this.#run(name, rawArguments, context);
    let result: ToolCallOutcome;
    try {
      result = { output: this.#mask(outcome.output), isError: outcome.isError };
    } catch (e) {
      result = {
        output: `error: masking the output failed: ${(e as Error)?.message}`,
        isError: true,
      };
    }
    if (this.#onCall) this.#report(name, rawArguments, context, result, startedAt, started);
    return result;
  }

  #report(
    name: string,
    rawArguments: string,
    context: ToolContext,
    result: ToolCallOutcome,
    startedAt: number,
    started: number,
  ): void {
    try {
      const { signal: _signal, turn: _turn, ...rest } = context;
      this.#onCall!({
        tool: name,
        arguments: maskArgumentSecrets(this.#mask(rawArguments)),
        context: rest,
        isError: result.isError,
        error: result.isError
          ? result.output.split("\n").find((line) => line.trim() !== "")?.slice(0, 300)
          : undefined,
        durationMs: Math.round(performance.now() - started),
        startedAt,
      });
    } catch { /* the audit sink failing must not fail the call */ }
  }

  async #run(name: string, rawArguments: string, context: ToolContext): Promise<ToolCallOutcome> {
    const tool = this.#tools.get(name);
    if (!tool) {
      return {
        output: `error: unknown tool "${name}". Available tools: ${this.names().join(", ")}.`,
        isError: true,
      };
    }
    let args: unknown;
    try {
      args = rawArguments.trim() === "" ? {} : JSON.parse(rawArguments);
    } catch (e) {
      return {
        output: `error: the arguments for ${name} are not valid JSON (${(e as Error).message}). ` +
          `Send a JSON object matching the tool's parameters.`,
        isError: true,
      };
    }
    const parsed = tool.parameters.safeParse(args);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) =>
        `${i.path.length ? i.path.join(".") : "(arguments)"}: ${i.message}`
      );
      return {
        output: `error: invalid arguments for ${name}: ${problems.join("; ")}`,
        isError: true,
      };
    }
    try {
      const result = await untilAborted(tool.execute(parsed.data, context), context.signal);
      return typeof result === "string"
        ? { output: result, isError: false }
        : { output: String(result?.output), isError: result?.isError ?? false };
    } catch (e) {
      if (context.signal.aborted) return { output: "error: interrupted", isError: true };
      return { output: `error: ${name} failed: ${(e as Error)?.message ?? e}`, isError: true };
    }
  }
}

/** How long a tool may take to wind down after its turn's signal aborted. */
export const ABORT_GRACE_MS = 1000;

/**
 * Settles with `work`, or rejects {@link ABORT_GRACE_MS} after `signal` aborts: a tool that
 * ignores its signal cannot keep the turn (and its run slot) waiting. A tool that honours it
 * settles first, with its own report of the interruption.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      timer = setTimeout(() => reject(signal.reason), ABORT_GRACE_MS);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    });
  });
}
