/**
 * `herald config check` and `herald config show`.
 * @module
 */
import { stringify } from "yaml";
import { maskConfig, maskUrl } from "../config/mod.ts";
import type { ResolvedConfig } from "../config/mod.ts";
import { checkExposure } from "../server/mod.ts";
import type { CliIo } from "./io.ts";

/**
 * `herald config check`: the configuration loaded (so the schema and key rules passed); now the
 * rules `herald serve` applies at start, so check and serve agree on what may run.
 */
export function runConfigCheck(resolved: ResolvedConfig, io: CliIo): number {
  for (const warning of resolved.warnings ?? []) io.stderr.write(`warning: ${warning}\n`);
  const problems = serveRules(resolved);
  if (problems.length > 0) {
    io.stderr.write(problems.map((problem) => `error: ${problem}`).join("\n") + "\n");
    return 2;
  }
  io.stdout.write("configuration OK\n");
  return 0;
}

// The start-up refusals of `herald serve` (gateway/gateway.ts), without starting anything.
function serveRules(resolved: ResolvedConfig): string[] {
  const { api_server: api } = resolved.config;
  if (!api.enabled) return [];
  const configured = [api.key, ...api.keys].filter((key): key is string => !!key);
  // With no key configured, serve generates one into $HERALD_HOME/api_key before the check.
  const keys = configured.length > 0 ? configured : ["generated"];
  try {
    checkExposure(api, keys);
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

/** `herald config show`: the effective configuration as YAML, secrets masked. */
export function runConfigShow(resolved: ResolvedConfig, io: CliIo): number {
  for (const warning of resolved.warnings ?? []) io.stderr.write(`warning: ${warning}\n`);
  io.stdout.write(
    [
      "# Effective configuration (defaults, config.yaml, .env, environment and flags merged).",
      `# HERALD_HOME: ${resolved.home}`,
      `# workspace: ${resolved.workspace}`,
      `# upstream base URL: ${maskUrl(resolved.baseUrl)}`,
      "",
    ].join("\n") + stringify(maskConfig(resolved.config)),
  );
  return 0;
}
