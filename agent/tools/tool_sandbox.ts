/**
 * Where the terminal and file tools get their sandbox: the one the runtime built (with
 * `$HERALD_HOME` and the KV file hidden), or — for a tool built from its settings alone — one made
 * from the `tools` settings and the environment, once per settings object.
 * @module
 */
import { join } from "node:path";
import type { Config } from "../../config/mod.ts";
import { Sandbox, type SandboxSettings, sandboxSettings } from "../sandbox/mod.ts";

/** A sandbox, or the promise of one (detection runs a probe once). */
export type SandboxSource = Sandbox | Promise<Sandbox>;

/** The config's `tools` section: the settings the built-in tools and their sandbox read. */
export type ToolSettings = Config["tools"];

const fromSettings = new WeakMap<ToolSettings, Promise<Sandbox>>();

/** The sandbox settings the `tools` section asks for; `hidden` lists the paths to keep invisible. */
export function sandboxSettingsFor(
  settings: ToolSettings,
  hidden: readonly string[],
): SandboxSettings {
  const limits = settings.sandbox_limits;
  return sandboxSettings({
    mode: settings.sandbox,
    network: settings.sandbox_network,
    extraRoots: settings.files.extra_roots,
    hidden,
    limits: {
      processes: limits.processes,
      memoryBytes: limits.memory_mb * 1024 * 1024,
      fileBytes: limits.file_mb * 1024 * 1024,
      cpuSeconds: Math.ceil(settings.terminal.max_timeout),
    },
  });
}

/** The paths hidden by default: `$HERALD_HOME` (or `~/.herald`). */
export function defaultHiddenPaths(): string[] {
  const home = Deno.env.get("HERALD_HOME") ??
    (Deno.env.get("HOME") ? join(Deno.env.get("HOME")!, ".herald") : undefined);
  return home ? [home] : [];
}

/**
 * The tool's sandbox: `source` when given, else one built from `settings` (shared per settings
 * object).
 */
export function toolSandbox(settings: ToolSettings, source?: SandboxSource): Promise<Sandbox> {
  if (source) return Promise.resolve(source);
  let sandbox = fromSettings.get(settings);
  if (!sandbox) {
    sandbox = Sandbox.create(sandboxSettingsFor(settings, defaultHiddenPaths()));
    fromSettings.set(settings, sandbox);
  }
  return sandbox;
}

/** Why a call that changes something needs approval when no OS sandbox confines the tools. */
export function unconfinedReason(sandbox: Sandbox): string {
  return `no OS sandbox confines the tools (${sandbox.status().summary}), so every call that ` +
    "can change something needs approval";
}
