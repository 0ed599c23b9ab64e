/**
 * The macOS `sandbox-exec` profile (SBPL) with the same rules as the Linux sandbox: reads
 * everywhere except homes and the hidden paths, writes only in the writable roots and temp
 * folders, network only when enabled. Generated and unit-tested here; it has not been run on a
 * Mac (Herald's CI is Linux), which docs/security.md says.
 * @module
 */
import type { SandboxSettings } from "./settings.ts";

/** What the profile needs besides the settings. */
export interface MacosProfileCall {
  /** The workspace, absolute and symlink-free. */
  workspace: string;
  /** Extra roots, absolute and symlink-free. */
  extraRoots: readonly string[];
  /** Home folders to hide (default `/Users`). */
  homes?: readonly string[];
}

/** Quotes a path as an SBPL string literal. */
export function sbplString(path: string): string {
  return `"${path.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * The profile text for `sandbox-exec -p <profile> <command…>`. SBPL applies the last matching
 * rule, so the order below is: allow reads, deny homes, allow the roots, deny the hidden paths.
 *
 * @example
 * ```ts
 * const profile = macosProfile(settings, { workspace: "/Users/ada/project", extraRoots: [] });
 * new Deno.Command("sandbox-exec", { args: ["-p", profile, "bash", "-c", "ls"] });
 * ```
 */
export function macosProfile(settings: SandboxSettings, call: MacosProfileCall): string {
  const roots = [call.workspace, ...call.extraRoots];
  const subpaths = (paths: readonly string[]) =>
    paths.map((p) => `(subpath ${sbplString(p)})`).join(" ");
  const lines = [
    "(version 1)",
    "(deny default)",
    "(allow process-exec process-fork)",
    "(allow signal (target same-sandbox))",
    "(allow sysctl-read)",
    "(allow mach-lookup)",
    "(allow ipc-posix-shm)",
    "(allow file-read*)",
    `(deny file-read* ${subpaths(call.homes ?? ["/Users"])})`,
    `(allow file-read* ${subpaths(roots)})`,
    '(allow file-write* (literal "/dev/null") (literal "/dev/tty") (subpath "/dev/fd"))',
    '(allow file-write* (subpath "/private/tmp") (subpath "/private/var/folders"))',
  ];
  if (settings.mode === "workspace-write") lines.push(`(allow file-write* ${subpaths(roots)})`);
  if (settings.hidden.length > 0) {
    lines.push(`(deny file-read* file-write* ${subpaths(settings.hidden)})`);
  }
  lines.push(settings.network ? "(allow network*)" : "(deny network*)");
  return lines.join("\n") + "\n";
}
