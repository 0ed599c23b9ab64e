/**
 * The error a bad configuration raises: one line per bad field, ready to print as is.
 * @module
 */

/**
 * A configuration that cannot be used. `lines` holds one human-readable line per problem, each
 * naming the dotted key (and the environment variable or flag it came from), what was expected
 * and what was found; `message` is those lines joined.
 *
 * @example
 * ```ts
 * try {
 *   await loadConfig();
 * } catch (error) {
 *   if (error instanceof ConfigError) console.error(error.lines.join("\n"));
 * }
 * ```
 */
export class ConfigError extends Error {
  /** One line per problem, e.g. `api_server.port: expected a number, got "abc" (from API_SERVER_PORT)`. */
  readonly lines: string[];

  constructor(lines: string[], options: { cause?: unknown } = {}) {
    super(lines.join("\n"), { cause: options.cause });
    this.name = "ConfigError";
    this.lines = lines;
  }
}
