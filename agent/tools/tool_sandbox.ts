/**
 * Where the terminal and file tools get their sandbox: the one the runtime built (with
 * `$HERALD_HOME` and the KV file hidden), or — for a tool built from the config alone — one made
 * from the config and the environment, once per config.
 * @module
 */
import { join } from "node:path";
import type { Config } from "../../config/mod.ts";
import { Sandbox, type SandboxSettings, sandboxSettings } from "../sandbox/mod.ts";

/** A sandbox, or the promise of one (detection runs a probe once). */
export type SandboxSource = Sandbox | Promise<Sandbox>;

const fromConfig = new WeakMap<Config, Promise<Sandbox>>();

/** The sandbox settings `config` asks for; `hidden` lists the paths to keep invisible. */
export function sandboxSettingsFor(config: Config, hidden: readonly string[]): SandboxSettings {
  const limits = config.tools.sandbox_limits;
  return sandboxSettings({
    mode: config.tools.sandbox,
    network: config.tools.sandbox_network,
    extraRoots: config.tools.files.extra_roots,
    hidden,
    limits: {
      processes: limits.processes,
      memoryBytes: limits.memory_mb * 1024 * 1024,
      fileBytes: limits.file_mb * 1024 * 1024,
      cpuSeconds: Math.ceil(config.tools.terminal.max_timeout),
    },
  });
}

/** The paths hidden by default: `$HERALD_HOME` (or `~/.herald`). */
export function defaultHiddenPaths(): string[] {
  const home = Deno.env.get("HERALD_HOME") ??
    (Deno.env.get("HOME") ? join(Deno.env.get("HOME")!, ".herald") : undefined);
  return home ? [home] : [];
}

/** The tool's sandbox: `source` when given, else one built from `config` (shared per config). */
export function toolSandbox(config: Config, source?: SandboxSource): Promise<Sandbox> {
  if (source) return Promise.resolve(source);
  let sandbox = fromConfig.get(config);
  if (!sandbox) {
    sandbox = Sandbox.create(sandboxSettingsFor(config, defaultHiddenPaths()));
    fromConfig.set(config, sandbox);
  }
  return sandbox;
}

/** Why a call that changes something needs approval when no OS sandbox confines the tools. */
export function unconfinedReason(sandbox: Sandbox): string {
  return `no OS sandbox confines the tools (${sandbox.status().summary}), so every call that ` +
    "can change something needs approval";
}
