/**
 * MCP client side: external MCP servers (stdio programs or remote URLs) kept connected, their
 * tools offered to the agent as `<server>__<tool>`.
 * @module
 */

// Commonly used
export { McpServerPool, type McpServerPoolOptions, mcpTool } from "./server_pool.ts";
export {
  describeError,
  type McpCallOptions,
  type McpConnectionDeps,
  McpServerConnection,
  type McpServerState,
  type McpServerStatus,
  type McpToolInfo,
  McpUnavailableError,
  type SandboxLauncher,
} from "./server_connection.ts";

export { mcpSandboxLauncher } from "./sandbox_launch.ts";

// The pieces, for reuse and tests
export { MAX_TOOL_NAME_LENGTH, namespacedToolNames, SERVER_TOOL_SEPARATOR } from "./tool_names.ts";
export { capText, type McpCallResult, renderToolResult } from "./tool_result.ts";
export {
  DenoStdioTransport,
  INHERITED_ENV_NAMES,
  type StdioLaunch,
  type StdioTransportOptions,
} from "./stdio_transport.ts";
export { expandVariables, MissingVariableError } from "./expand.ts";
