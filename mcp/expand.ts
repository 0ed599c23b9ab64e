/**
 * `${NAME}` in MCP server settings: secrets stay in the environment (or ~/.herald/.env), and the
 * config names which ones a server gets.
 * @module
 */

/** A `${NAME}` whose variable is not set. */
export class MissingVariableError extends Error {
  constructor(name: string, where: string) {
    super(`${where} uses \${${name}}, which is not set in the environment`);
    this.name = "MissingVariableError";
  }
}

/**
 * Replaces every `${NAME}` with the variable's value; `$${` stays a literal `${`.
 *
 * @throws {MissingVariableError} when a named variable is not set.
 *
 * @example
 * ```ts
 * expandVariables("Bearer ${TOKEN}", { TOKEN: "abc" }, "header Authorization"); // "Bearer abc"
 * ```
 */
export function expandVariables(
  text: string,
  env: Record<string, string>,
  where: string,
): string {
  return text.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name: string) => {
    if (match.startsWith("$$")) return match.slice(1);
    const value = env[name];
    if (value === undefined) throw new MissingVariableError(name, where);
    return value;
  });
}
