/**
 * What a sandbox is asked to enforce: the mode, the network, the roots the tools may use, the
 * paths that must stay invisible, and the resource limits of one call.
 * @module
 */

/** `tools.sandbox`: how the OS confines the terminal and file tools. */
export type SandboxMode = "read-only" | "workspace-write" | "off";

/** Resource limits of one sandboxed call; they count the call's own processes only. */
export interface SandboxLimits {
  /** Processes (and threads) at once. */
  processes: number;
  /** Memory in bytes (a cgroup limit when one can be made; otherwise RLIMIT_DATA). */
  memoryBytes: number;
  /** CPU seconds per process (RLIMIT_CPU). */
  cpuSeconds: number;
  /** Largest file a process may write, in bytes (RLIMIT_FSIZE). */
  fileBytes: number;
}

/** Everything a {@link Sandbox} needs to know. */
export interface SandboxSettings {
  mode: SandboxMode;
  /** True: sandboxed commands share the host's network. Default false: no network at all. */
  network: boolean;
  /** Directories besides the workspace the tools may use (`tools.files.extra_roots`). */
  extraRoots: readonly string[];
  /**
   * Paths that stay invisible even when a root contains them: `$HERALD_HOME`, the KV file,
   * anything holding the gateway's secrets.
   */
  hidden: readonly string[];
  limits: SandboxLimits;
}

/** The default limits: generous for builds and tests, fatal for fork bombs. */
export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  processes: 256,
  memoryBytes: 4096 * 1024 * 1024,
  cpuSeconds: 600,
  fileBytes: 4096 * 1024 * 1024,
};

/** Settings with defaults for what `partial` leaves out. */
export function sandboxSettings(
  partial: Omit<Partial<SandboxSettings>, "limits"> & { limits?: Partial<SandboxLimits> } = {},
): SandboxSettings {
  return {
    mode: partial.mode ?? "workspace-write",
    network: partial.network ?? false,
    extraRoots: partial.extraRoots ?? [],
    hidden: partial.hidden ?? [],
    limits: { ...DEFAULT_SANDBOX_LIMITS, ...partial.limits },
  };
}
