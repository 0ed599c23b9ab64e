/**
 * The built-in server tools and what they share: build them all from the config, pick the ones a
 * platform offers, and mask secrets in their output.
 *
 * @example
 * ```ts
 * const mask = createSecretMasker(collectSecrets(config));
 * const registry = new ToolRegistry({ mask });
 * for (const tool of createBuiltinTools(config, { memory })) registry.register(tool);
 * const specs = registry.specs(toolsetFor(config, "telegram"));
 * ```
 * @module
 */
import type { Config } from "../../config/mod.ts";
import type { Platform } from "../events.ts";
import { type MemoryNotes, memoryTool } from "./memory.ts";
import { patchTool } from "./patch.ts";
import { readFileTool } from "./read_file.ts";
import type { Tool } from "./registry.ts";
import { searchFilesTool } from "./search_files.ts";
import { terminalTool } from "./terminal.ts";
import type { SandboxSource } from "./tool_sandbox.ts";
import { webFetchTool } from "./web_fetch.ts";
import { writeFileTool } from "./write_file.ts";

// The registry and its contract.
export {
  type FinishedToolCall,
  type FunctionToolSpec,
  HERALD_ORIGIN,
  type McpToolMeta,
  type Tool,
  type ToolCallOutcome,
  type ToolContext,
  type ToolOutput,
  ToolRegistry,
  type ToolRegistryOptions,
} from "./registry.ts";

export { resolveToolset } from "./toolset.ts";

// The tools, one factory each.
export { type TerminalTool, terminalTool, type TerminalToolOptions } from "./terminal.ts";
export { readFileTool } from "./read_file.ts";
export { writeFileTool } from "./write_file.ts";
export { patchTool } from "./patch.ts";
export { searchFilesTool } from "./search_files.ts";
export { webFetchTool, type WebFetchToolOptions } from "./web_fetch.ts";
export { type MemoryNotes, memoryTool } from "./memory.ts";

// Safety pieces, for reuse and tests.
export { collectSecrets, createSecretMasker, maskArgumentSecrets, REDACTED } from "./secrets.ts";
export {
  type CommandClass,
  CommandClassifier,
  type CommandClassifierOptions,
  MAX_COMMAND_BYTES,
} from "./command_classifier.ts";
export {
  defaultHiddenPaths,
  sandboxSettingsFor,
  type SandboxSource,
  toolSandbox,
  type ToolSettings,
} from "./tool_sandbox.ts";
export { PathRefusedError, type PathRoots, resolveWorkspacePath } from "./workspace_paths.ts";
export { type FileToolOptions, MAX_FILE_BYTES, ToolFiles } from "./text_files.ts";
export { checkUrlTarget, classifyAddress, SsrfError } from "./ssrf.ts";
// htmlToText is not re-exported here: it pulls in linkedom, which start-up should not load.
// Import it from ./html_to_text.ts; web_fetch loads it on the first HTML page.

/** What {@link createBuiltinTools} needs besides the config. */
export interface BuiltinToolDeps {
  /** Where the memory tool keeps its notes. */
  memory: MemoryNotes;
  /** Secret values; environment variables holding them are not passed to terminal commands. */
  secrets?: readonly string[];
  /** The sandbox the terminal and file tools run in. Default: one built from the config. */
  sandbox?: SandboxSource;
}

/** Builds all seven built-in tools, in the order they are offered to the model. */
export function createBuiltinTools(config: Config, deps: BuiltinToolDeps): Tool[] {
  // Each factory gets its own slice of the config; this is the one place that slices it.
  const settings = config.tools;
  return [
    terminalTool(settings, { secrets: deps.secrets, sandbox: deps.sandbox }),
    readFileTool(settings, { sandbox: deps.sandbox }),
    writeFileTool(settings, { sandbox: deps.sandbox }),
    patchTool(settings, { sandbox: deps.sandbox }),
    searchFilesTool(settings, { sandbox: deps.sandbox }),
    webFetchTool(settings.web_fetch),
    memoryTool(deps.memory),
  ] as unknown as Tool[];
}

/** The names of the tools offered on a platform (`toolsets.<platform>`). */
export function toolsetFor(config: Config, platform: Platform): string[] {
  return [...(config.toolsets[platform] ?? [])];
}
