/**
 * Turns a platform's toolset (`toolsets.<platform>` in config) into the names of the registered
 * tools it offers. Entries are tool names, `mcp` (every MCP server's tools), `mcp:<server>` (one
 * server's), or `mcp:<server>/<tool>` (one tool by its name on the server); an entry starting
 * with `-` removes what it names, whatever the order.
 * @module
 */
import type { Tool } from "./registry.ts";

/**
 * The registered tools a toolset offers: named tools in the toolset's order, each `mcp…` entry's
 * tools in registration order where it stands.
 *
 * @example
 * ```ts
 * resolveToolset(["read_file", "mcp", "-mcp:github/delete_repo"], registry.tools());
 * // ["read_file", "github__create_issue", …] without github's delete_repo
 * ```
 */
export function resolveToolset(entries: readonly string[], tools: readonly Tool[]): string[] {
  const exclude = entries.filter((entry) => entry.startsWith("-")).map((entry) => entry.slice(1));
  const names = new Set<string>();
  for (const entry of entries) {
    if (entry.startsWith("-")) continue;
    for (const tool of tools) {
      if (matches(entry, tool) && !exclude.some((e) => matches(e, tool))) names.add(tool.name);
    }
  }
  return [...names];
}

function matches(entry: string, tool: Tool): boolean {
  const mcp = tool.mcp;
  if (!mcp || !tool.origin) return entry === tool.name;
  if (entry === "mcp") return true;
  if (!entry.startsWith("mcp:")) return false;
  const rest = entry.slice(4);
  const slash = rest.indexOf("/");
  if (slash < 0) return rest === tool.origin;
  return rest.slice(0, slash) === tool.origin && rest.slice(slash + 1) === mcp.name;
}
