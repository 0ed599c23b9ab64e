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
import { MEMORY_INFO, type MemoryNotes, memoryTool } from "./memory.ts";
import { PATCH_INFO, patchTool } from "./patch.ts";
import { READ_FILE_INFO, readFileTool } from "./read_file.ts";
import type { Tool, ToolInfo } from "./registry.ts";
import { SEARCH_FILES_INFO, searchFilesTool } from "./search_files.ts";
import { TERMINAL_INFO, terminalTool } from "./terminal.ts";
import type { SandboxSource, ToolSettings } from "./tool_sandbox.ts";
import { WEB_FETCH_INFO, webFetchTool } from "./web_fetch.ts";
import { WRITE_FILE_INFO, writeFileTool } from "./write_file.ts";

// The registry and its contract.
export {
  type FinishedToolCall,
  type FunctionToolSpec,
  HERALD_ORIGIN,
  type McpToolMeta,
  type Tool,
  type ToolCallOutcome,
  type ToolContext,
  type ToolInfo,
  type ToolOutput,
  ToolRegistry,
  type ToolRegistryOptions,
} from "./registry.ts";

export { resolveToolset } from "./toolset.ts";

// The tools, one factory each.
export {
  TERMINAL_INFO,
  type TerminalTool,
  terminalTool,
  type TerminalToolOptions,
} from "./terminal.ts";
export { READ_FILE_INFO, readFileTool } from "./read_file.ts";
export { WRITE_FILE_INFO, writeFileTool } from "./write_file.ts";
export { PATCH_INFO, patchTool } from "./patch.ts";
export { SEARCH_FILES_INFO, searchFilesTool } from "./search_files.ts";
export { WEB_FETCH_INFO, webFetchTool, type WebFetchToolOptions } from "./web_fetch.ts";
export { MEMORY_INFO, type MemoryNotes, memoryTool } from "./memory.ts";

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
export { type TurnResource, TurnResources } from "./turn_resources.ts";
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

/** One built-in tool's registration: what is known about it, and how to build it from its slice. */
interface BuiltinTool {
  info: ToolInfo;
  create(settings: ToolSettings, deps: BuiltinToolDeps): Tool;
}

// The built-in tools, in the order they are offered to the model. Adding a tool is its own file
// (definition, `*_INFO`, factory) plus one entry here (and its name in config's ALL_TOOL_NAMES).
const BUILTIN_TOOLS: readonly BuiltinTool[] = [
  {
    info: TERMINAL_INFO,
    create: (settings, deps) =>
      terminalTool(settings, { secrets: deps.secrets, sandbox: deps.sandbox }),
  },
  {
    info: READ_FILE_INFO,
    create: (settings, deps) => readFileTool(settings, { sandbox: deps.sandbox }),
  },
  {
    info: WRITE_FILE_INFO,
    create: (settings, deps) => writeFileTool(settings, { sandbox: deps.sandbox }),
  },
  { info: PATCH_INFO, create: (settings, deps) => patchTool(settings, { sandbox: deps.sandbox }) },
  {
    info: SEARCH_FILES_INFO,
    create: (settings, deps) => searchFilesTool(settings, { sandbox: deps.sandbox }),
  },
  { info: WEB_FETCH_INFO, create: (settings) => webFetchTool(settings.web_fetch) },
  { info: MEMORY_INFO, create: (_settings, deps) => memoryTool(deps.memory) },
];

/** What the CLI and docs need about each built-in tool, in the order they are offered. */
export const BUILTIN_TOOL_INFO: readonly ToolInfo[] = BUILTIN_TOOLS.map((tool) => tool.info);

/** Builds all the built-in tools, in the order they are offered to the model. */
export function createBuiltinTools(config: Config, deps: BuiltinToolDeps): Tool[] {
  // Each factory gets its own slice of the config; this is the one place that slices it.
  return BUILTIN_TOOLS.map((tool) => tool.create(config.tools, deps));
}

/** The names of the tools offered on a platform (`toolsets.<platform>`). */
export function toolsetFor(config: Config, platform: Platform): string[] {
  return [...(config.toolsets[platform] ?? [])];
}
