/**
 * `herald config check` and `herald config show`.
 * @module
 */
import { stringify } from "yaml";
import { maskConfig, maskUrl } from "../config/mod.ts";
import type { ResolvedConfig } from "../config/mod.ts";
import type { CliIo } from "./io.ts";

/** `herald config check`: the configuration loaded, so report it and its warnings. */
export function runConfigCheck(resolved: ResolvedConfig, io: CliIo): number {
  for (const warning of resolved.warnings ?? []) io.stderr.write(`warning: ${warning}\n`);
  io.stdout.write("configuration OK\n");
  return 0;
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
