/**
 * The naming rule for MCP tools offered to the model: `<server>__<tool>`, made to fit the
 * function-name rules of OpenAI-compatible upstreams (letters, digits, `_` and `-`, at most 64
 * characters), with collisions resolved by a short hash of the original name.
 * @module
 */

/** The longest function name OpenAI-compatible upstreams accept. */
export const MAX_TOOL_NAME_LENGTH = 64;

/** Separates the server's name from the tool's in the name the model sees. */
export const SERVER_TOOL_SEPARATOR = "__";

/**
 * Names a server's tools for the model. Each name is `<server>__<tool>` with every character
 * outside `[A-Za-z0-9_-]` replaced by `_`; a name over 64 characters, or one that another tool
 * already took, is shortened and ends in `_` plus 8 hex digits of a hash of the original, so it
 * stays stable across restarts.
 *
 * @example
 * ```ts
 * namespacedToolNames("github", ["create_issue", "search.code"]);
 * // Map { "create_issue" => "github__create_issue", "search.code" => "github__search_code" }
 * ```
 */
export function namespacedToolNames(
  server: string,
  tools: readonly string[],
  taken: ReadonlySet<string> = new Set(),
): Map<string, string> {
  const used = new Set(taken);
  const names = new Map<string, string>();
  for (const tool of tools) {
    const plain = `${server}${SERVER_TOOL_SEPARATOR}${tool.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    let name = plain;
    if (name.length > MAX_TOOL_NAME_LENGTH || used.has(name)) {
      const suffix = `_${fnv1a(`${server}\0${tool}`)}`;
      name = plain.slice(0, MAX_TOOL_NAME_LENGTH - suffix.length) + suffix;
      for (let i = 2; used.has(name); i++) {
        const more = `${suffix}${i}`;
        name = plain.slice(0, MAX_TOOL_NAME_LENGTH - more.length) + more;
      }
    }
    used.add(name);
    names.set(tool, name);
  }
  return names;
}

// FNV-1a, 32 bits: a short, stable, synchronous hash (collision resistance is not needed here).
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}
