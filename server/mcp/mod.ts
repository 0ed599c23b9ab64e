/**
 * Herald as an MCP server: the `/mcp` streamable-HTTP endpoint and its `ask` tool.
 * @module
 */

export { type McpEndpoint, mcpEndpoint, type McpEndpointOptions } from "./endpoint.ts";
export {
  ASK_TOOL,
  type AskAgent,
  type AskDeps,
  type AskProgress,
  type AskResult,
  runAsk,
} from "./ask_tool.ts";
