/**
 * A small `.env` reader: `KEY=VALUE` lines, an optional `export ` prefix, single or double
 * quotes, and `#` comments. Small enough that a dependency would cost more than it saves.
 * @module
 */

/** What a `.env` file held, and the lines that could not be read. */
export interface DotenvResult {
  values: Record<string, string>;
  /** One message per line that is not `KEY=VALUE`, e.g. `line 4: expected KEY=VALUE`. */
  warnings: string[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

/**
 * Parses the text of a `.env` file. Later assignments of the same key win. Double-quoted values
 * understand `\n`, `\t`, `\"` and `\\` and may span lines; single-quoted values are literal;
 * unquoted values end at ` #`.
 *
 * @example
 * ```ts
 * parseDotenv('export OPENAI_API_KEY="sk-abc" # upstream\nAPI_SERVER_PORT=9000').values;
 * // { OPENAI_API_KEY: "sk-abc", API_SERVER_PORT: "9000" }
 * ```
 */
export function parseDotenv(text: string): DotenvResult {
  const values: Record<string, string> = {};
  const warnings: string[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const line = lines[index].trim();
    if (line === "" || line.startsWith("#")) continue;
    const body = line.replace(/^export\s+/, "");
    const equals = body.indexOf("=");
    const key = equals === -1 ? "" : body.slice(0, equals).trim();
    if (!KEY.test(key)) {
      warnings.push(`line ${lineNumber}: expected KEY=VALUE`);
      continue;
    }
    let rest = body.slice(equals + 1).trimStart();
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      // A quoted value may continue over the following lines until its closing quote.
      let closing = findClosingQuote(rest, quote);
      while (closing === -1 && index + 1 < lines.length) {
        index++;
        rest += "\n" + lines[index];
        closing = findClosingQuote(rest, quote);
      }
      if (closing === -1) {
        warnings.push(`line ${lineNumber}: the quoted value of ${key} is never closed`);
        continue;
      }
      const raw = rest.slice(1, closing);
      values[key] = quote === '"' ? raw.replace(/\\(.)/g, (_, c) => ESCAPES[c] ?? `\\${c}`) : raw;
      continue;
    }
    const comment = rest.search(/\s#/);
    values[key] = (comment === -1 ? rest : rest.slice(0, comment)).trim();
  }
  return { values, warnings };
}

function findClosingQuote(text: string, quote: string): number {
  for (let i = 1; i < text.length; i++) {
    if (quote === '"' && text[i] === "\\") {
      i++;
      continue;
    }
    if (text[i] === quote) return i;
  }
  return -1;
}
