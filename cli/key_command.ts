/**
 * `herald key`: prints the API key clients must send; `--rotate` replaces the generated one.
 * `herald key add|list|revoke|rotate NAME` manage named keys in `$HERALD_HOME/keys.json`: a
 * running gateway picks the change up on the next request, no restart needed.
 * @module
 */
import {
  addNamedKey,
  ensureApiKey,
  KEY_SCOPES,
  type KeyScope,
  keysFilePath,
  readKeysFile,
  type ResolvedConfig,
  revokeNamedKey,
  rotateApiKey,
  rotateNamedKey,
  unnamedKeyName,
} from "../config/mod.ts";
import { UsageError } from "./args.ts";
import type { CliIo } from "./io.ts";

/** What `herald key` was asked to do. */
export interface KeyCommandOptions {
  rotate?: boolean;
  /** `--scope`, for `add`. */
  scope?: string;
  /** The words after `key`: `add alice`, `list`… */
  args?: string[];
}

/** Runs `herald key` and returns the exit code. A key alone goes to stdout, for scripts. */
export async function runKey(
  resolved: ResolvedConfig,
  io: CliIo,
  options: KeyCommandOptions,
): Promise<number> {
  const [action, name, ...extra] = options.args ?? [];
  if (action === undefined) return await printDefaultKey(resolved, io, options.rotate === true);
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}" for herald key.`);
  if (options.scope !== undefined && action !== "add") {
    throw new UsageError("--scope is only for `herald key add NAME`.");
  }
  switch (action) {
    case "list":
      if (name !== undefined) throw new UsageError(`Unexpected argument "${name}" for key list.`);
      return await listKeys(resolved, io);
    case "add": {
      const scope = parseScope(options.scope);
      const made = await addNamedKey(resolved.home, requireName(name, "add"), {
        scope,
        taken: configuredNames(resolved),
      });
      io.stdout.write(made.key + "\n");
      io.stderr.write(
        `Added the ${scope} key "${made.stored.name}" to ${keysFilePath(resolved.home)}. ` +
          "This is the only time it is shown; a running gateway accepts it now.\n",
      );
      return 0;
    }
    case "revoke": {
      const target = requireName(name, "revoke");
      if (configuredNames(resolved).some((n) => n.toLowerCase() === target.toLowerCase())) {
        io.stderr.write(
          `The key "${target}" is set in the configuration (api_server.key or api_server.keys); ` +
            "remove it there and restart herald.\n",
        );
        return 1;
      }
      if (!(await revokeNamedKey(resolved.home, target))) {
        io.stderr.write(`There is no key named "${target}" (see \`herald key list\`).\n`);
        return 1;
      }
      io.stderr.write(`Revoked "${target}": a running gateway refuses it from its next request.\n`);
      return 0;
    }
    case "rotate": {
      if (name === undefined) return await printDefaultKey(resolved, io, true);
      const made = await rotateNamedKey(resolved.home, name);
      if (!made) {
        io.stderr.write(
          `There is no key named "${name}" in ${keysFilePath(resolved.home)} (see ` +
            "`herald key list`; keys set in the configuration are changed where they are set).\n",
        );
        return 1;
      }
      io.stdout.write(made.key + "\n");
      io.stderr.write(
        `Rotated "${made.stored.name}": the old key is refused from its next request; its ` +
          "responses, conversations and memory stay with the new one.\n",
      );
      return 0;
    }
    default:
      throw new UsageError(
        `Unknown action "${action}" for herald key: use add, list, revoke or rotate.`,
      );
  }
}

async function printDefaultKey(
  resolved: ResolvedConfig,
  io: CliIo,
  rotate: boolean,
): Promise<number> {
  const configured = resolved.config.api_server.key;
  if (configured !== undefined) {
    if (rotate) {
      io.stderr.write(
        "The API key is set by api_server.key (or API_SERVER_KEY), so there is no generated key to " +
          "rotate. Change it where it is set.\n",
      );
      return 1;
    }
    io.stdout.write(configured + "\n");
    return 0;
  }
  if (rotate) {
    const info = await rotateApiKey(resolved.home);
    io.stdout.write(info.key + "\n");
    io.stderr.write(`Wrote a new API key to ${info.path}. Restart herald for it to take effect.\n`);
    return 0;
  }
  const info = await ensureApiKey(resolved.home);
  io.stdout.write(info.key + "\n");
  if (info.generated) io.stderr.write(`Generated a new API key in ${info.path}.\n`);
  return 0;
}

async function listKeys(resolved: ResolvedConfig, io: CliIo): Promise<number> {
  const rows: string[][] = [["NAME", "SCOPE", "SOURCE", "KEY"]];
  const api = resolved.config.api_server;
  if (api.key !== undefined) rows.push(["default", "full", "api_server.key", mask(api.key)]);
  for (const entry of api.keys) {
    if (typeof entry === "string") {
      rows.push([unnamedKeyName(entry), "full", "api_server.keys", mask(entry)]);
    } else {
      const shown = entry.key !== undefined ? mask(entry.key) : `file ${entry.key_file}`;
      rows.push([entry.name, entry.scope, "api_server.keys", shown]);
    }
  }
  if (rows.length === 1) rows.push(["default", "full", "$HERALD_HOME/api_key", "(herald key)"]);
  for (const stored of await readKeysFile(resolved.home)) {
    rows.push([
      stored.name,
      stored.scope,
      `keys.json ${stored.created_at.slice(0, 10)}`,
      `${stored.prefix}…`,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) {
    io.stdout.write(row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd() + "\n");
  }
  return 0;
}

function mask(key: string): string {
  return `${key.slice(0, 4)}…`;
}

function requireName(name: string | undefined, action: string): string {
  if (name === undefined) throw new UsageError(`herald key ${action} needs a NAME.`);
  return name;
}

function parseScope(scope: string | undefined): KeyScope {
  if (scope === undefined) return "full";
  const value = scope.trim().toLowerCase();
  if (!(KEY_SCOPES as readonly string[]).includes(value)) {
    throw new UsageError(`--scope must be one of ${KEY_SCOPES.join(", ")}, not "${scope}".`);
  }
  return value as KeyScope;
}

function configuredNames(resolved: ResolvedConfig): string[] {
  const api = resolved.config.api_server;
  return [
    ...(api.key !== undefined ? ["default"] : []),
    ...api.keys.map((entry) => typeof entry === "string" ? unnamedKeyName(entry) : entry.name),
  ];
}
