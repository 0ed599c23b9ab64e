/**
 * The sandbox the terminal and file tools run their processes in. One per gateway: it knows the
 * settings and what the machine offers, and spawns each call's process confined (bubblewrap,
 * or sandbox-exec on macOS) with its own cgroup or rlimits, or — with `tools.sandbox: off` or
 * no sandbox available — unconfined, said loudly in {@link Sandbox.describe}.
 * @module
 */
import { bwrapArgs } from "./bwrap_args.ts";
import { type CallCgroup, createCallCgroup, processLimitHolds, rlimitPreamble } from "./limits.ts";
import { macosProfile } from "./macos_profile.ts";
import type { SandboxMode, SandboxSettings } from "./settings.ts";
import { detectSandboxSupport, type SandboxSupport } from "./support.ts";

/** How one process is started. */
export interface SandboxSpawnOptions {
  /** `terminal`: the whole system read-only; `files`: only the roots and system libraries. */
  layout: "terminal" | "files";
  /** The workspace of this call (absolute). */
  workspace: string;
  /** The working folder; default the workspace. */
  cwd?: string;
  /** Environment for an unconfined process (confined ones get only the sandbox's own). */
  hostEnv?: Record<string, string>;
  /** Extra variables set inside the sandbox. */
  env?: Record<string, string>;
  /** Executables outside /usr the process needs (the `files` layout shows nothing else). */
  executables?: readonly string[];
  stdin?: "piped" | "null";
  /**
   * False for Herald's own helper programs (the file helper): they get no cgroup, launcher or
   * rlimit shell, which saves most of the sandbox's start-up cost. Default true.
   */
  limits?: boolean;
}

/** A started process and how to end it. */
export interface SandboxedProcess {
  child: Deno.ChildProcess;
  /** Kills the process and everything it started (idempotent). */
  kill(): void;
  /** After the process exited: kills leftovers and removes its cgroup. */
  release(): Promise<void>;
}

/** What `describe` reports, for the banner, doctor and approvals. */
export interface SandboxStatus {
  mode: SandboxMode;
  /** True when the OS confines tool processes. */
  confined: boolean;
  /** One line for people. */
  summary: string;
}

/**
 * The gateway's sandbox.
 *
 * @example
 * ```ts
 * const sandbox = await Sandbox.create(sandboxSettings({ mode: "workspace-write" }));
 * const proc = await sandbox.spawn(["bash", "-c", "ls"], { layout: "terminal", workspace });
 * ```
 */
export class Sandbox {
  readonly settings: SandboxSettings;
  readonly support: SandboxSupport;
  #processLimit: boolean;

  constructor(settings: SandboxSettings, support: SandboxSupport, processLimit = true) {
    this.settings = settings;
    this.support = support;
    this.#processLimit = processLimit;
  }

  /** Detects what the machine offers and builds the sandbox. */
  static async create(settings: SandboxSettings): Promise<Sandbox> {
    const support = settings.mode === "off"
      ? { kind: "none" as const, reason: "tools.sandbox is off" }
      : await detectSandboxSupport();
    return new Sandbox(settings, support, await processLimitHolds());
  }

  /** True when the OS confines every tool process. */
  get confined(): boolean {
    return this.settings.mode !== "off" && this.support.kind !== "none";
  }

  /** True when tools may change files (`read-only` refuses writes even without a sandbox). */
  get writable(): boolean {
    return this.settings.mode !== "read-only";
  }

  /** The mode, whether it holds, and a line saying so. */
  status(): SandboxStatus {
    const { mode, network, limits } = this.settings;
    if (mode === "off") {
      return {
        mode,
        confined: false,
        summary: "OFF (tools.sandbox: off): the terminal and file tools run unconfined, " +
          "with the gateway's own rights",
      };
    }
    if (this.support.kind === "none") {
      return {
        mode,
        confined: false,
        summary: `UNAVAILABLE: ${this.support.reason}; tools run unconfined and every call ` +
          "that is not read-only needs approval",
      };
    }
    const engine = this.support.kind === "bwrap"
      ? `bubblewrap ${this.support.version}`
      : "sandbox-exec (untested)";
    return {
      mode,
      confined: true,
      summary: `${engine}, ${mode}, network ${network ? "on" : "off"}, at most ` +
        `${limits.processes} processes` +
        (this.#processLimit ? "" : " (not enforced: running as root without a pids cgroup)") +
        ` and ${Math.round(limits.memoryBytes / 1024 / 1024)} MiB per call`,
    };
  }

  /** Starts `argv` for one tool call, confined when the sandbox is available. */
  async spawn(argv: readonly string[], options: SandboxSpawnOptions): Promise<SandboxedProcess> {
    const cwd = options.cwd ?? options.workspace;
    if (!this.confined) {
      return start(argv[0], argv.slice(1), {
        cwd,
        env: { ...options.hostEnv, ...options.env },
        stdin: options.stdin ?? "null",
      }, null);
    }
    const realRoots = await Promise.all(
      [options.workspace, ...this.settings.extraRoots].map((r) =>
        Deno.realPath(r).catch(() => null)
      ),
    );
    const [workspace, ...extraRoots] = realRoots;
    if (!workspace) throw new Error(`The workspace ${options.workspace} does not exist.`);
    const roots = extraRoots.filter((r): r is string => r !== null);
    if (this.support.kind === "sandbox-exec") {
      const profile = macosProfile(this.settings, { workspace, extraRoots: roots });
      return start(this.support.path, ["-p", profile, ...argv], {
        cwd,
        env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin", HOME: workspace, ...options.env },
        stdin: options.stdin ?? "null",
      }, null);
    }
    const limited = options.limits ?? true;
    const cgroup = limited ? await createCallCgroup(this.settings.limits) : null;
    const args = bwrapArgs(this.settings, {
      layout: options.layout,
      workspace,
      extraRoots: roots,
      cwd: await Deno.realPath(cwd).catch(() => workspace),
      executables: options.executables,
      env: options.env,
      disableUserns: this.support.kind === "bwrap" ? this.support.disableUserns : true,
    });
    const preamble = rlimitPreamble(this.settings.limits, cgroup !== null);
    const sandboxed = limited
      ? [...args, "/bin/bash", "-c", `${preamble}exec "$@"`, "herald-sandbox", ...argv]
      : [...args, ...argv];
    const bwrap = (this.support as { path: string }).path;
    // The launcher joins the call's cgroups before it becomes bwrap, so no process escapes them.
    const [cmd, args2] = cgroup
      ? [
        "/bin/sh",
        [
          "-c",
          cgroup.procsFiles.map((f) => `echo $$ > ${shellQuote(f)} || exit 125; `).join("") +
          'exec "$@"',
          "herald-launcher",
          bwrap,
          ...sandboxed,
        ],
      ]
      : [bwrap, sandboxed];
    try {
      return start(cmd, args2, { cwd: "/", env: {}, stdin: options.stdin ?? "null" }, cgroup);
    } catch (e) {
      await cgroup?.remove();
      throw e;
    }
  }
}

function start(
  cmd: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; stdin: "piped" | "null" },
  cgroup: CallCgroup | null,
): SandboxedProcess {
  const child = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    env: options.env,
    clearEnv: true,
    stdin: options.stdin,
    stdout: "piped",
    stderr: "piped",
    // setsid(): the process leads a new group, so killing -pid reaches its children.
    detached: true,
  }).spawn();
  let killed = false;
  const kill = () => {
    if (killed) return;
    killed = true;
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      // The group is already gone.
    }
  };
  return {
    child,
    kill,
    release: async () => {
      await cgroup?.remove();
    },
  };
}

/** Quotes a word for sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
