/**
 * Builds the bubblewrap command line for one sandboxed call. Two layouts: `terminal` (the whole
 * file system read-only, homes, /tmp and /run replaced by empty folders, the workspace writable)
 * and `files` (only the system libraries the file helper needs, and the roots — nothing else
 * exists, so a symlink out of the workspace points at nothing).
 * @module
 */
import type { SandboxSettings } from "./settings.ts";

/** The folders replaced by empty ones in the terminal layout: homes, temp and runtime state. */
export const MASKED_DIRS = ["/home", "/root", "/tmp", "/var/tmp", "/run", "/mnt", "/media"];

/** Size of the sandbox's own /tmp (a tmpfs; counted against the memory limit). */
const TMP_BYTES = 1024 * 1024 * 1024;

/** Files hidden when a root is itself a hidden folder (a workspace that is $HERALD_HOME). */
export const SECRET_FILE_NAMES = [
  "api_key",
  "keys.json",
  "audit",
  ".env",
  "config.yaml",
  "herald.kv",
  "herald.kv-wal",
  "herald.kv-shm",
];

/** The environment every sandboxed process starts with; nothing of the gateway's is passed. */
export const SANDBOX_ENV: Readonly<Record<string, string>> = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/tmp/home",
  TMPDIR: "/tmp",
  LANG: "C.UTF-8",
  TERM: "dumb",
  NO_COLOR: "1",
  DENO_DIR: "/tmp/deno",
  DENO_NO_UPDATE_CHECK: "1",
};

/** What one call needs besides the settings. */
export interface BwrapCall {
  layout: "terminal" | "files";
  /** The workspace, absolute and symlink-free. */
  workspace: string;
  /** Extra roots, absolute and symlink-free (missing ones are left out). */
  extraRoots: readonly string[];
  /** The working folder inside the sandbox. */
  cwd: string;
  /** Executables outside /usr that must be visible (the deno binary for the file helper). */
  executables?: readonly string[];
  /** How the host's file system looks, for tests: is `path` a directory, a file, a symlink? */
  inspect?: (path: string) => "dir" | "file" | "symlink" | "missing";
  /** The names in a folder, for tests. */
  list?: (dir: string) => string[];
  /** Where a symlink at `path` points, for the `files` layout's /bin, /lib… */
  readLink?: (path: string) => string;
  /** The uid and gid the sandbox runs as (user namespace). Default: the gateway's own. */
  uid?: number;
  gid?: number;
  /** Forbid new user namespaces inside (bubblewrap 0.8+). Default true. */
  disableUserns?: boolean;
  /** Extra environment variables for the sandboxed process (on top of {@link SANDBOX_ENV}). */
  env?: Readonly<Record<string, string>>;
}

/**
 * The bwrap arguments up to and including `--`; the command to run follows.
 *
 * @example
 * ```ts
 * const args = bwrapArgs(settings, { layout: "terminal", workspace, extraRoots: [], cwd: workspace });
 * new Deno.Command("bwrap", { args: [...args, "bash", "-c", "ls"] });
 * ```
 */
export function bwrapArgs(settings: SandboxSettings, call: BwrapCall): string[] {
  const inspect = call.inspect ?? inspectPath;
  const args = [
    "--unshare-all",
    ...(settings.network && call.layout === "terminal" ? ["--share-net"] : []),
    "--unshare-user",
    ...(call.disableUserns === false ? [] : ["--disable-userns"]),
    "--uid",
    String(call.uid ?? Deno.uid() ?? 0),
    "--gid",
    String(call.gid ?? Deno.gid() ?? 0),
    "--cap-drop",
    "ALL",
    "--die-with-parent",
    "--new-session",
  ];
  const masked: string[] = [];
  if (call.layout === "terminal") {
    args.push("--ro-bind", "/", "/");
    for (const dir of MASKED_DIRS) {
      if (inspect(dir) !== "dir") continue;
      args.push(...(dir === "/tmp" ? ["--size", String(TMP_BYTES)] : []), "--tmpfs", dir);
      masked.push(dir);
    }
    // DNS often lives under /run (systemd-resolved): keep the resolver file readable.
    if (settings.network && inspect("/etc/resolv.conf") === "symlink") {
      const target = (call.readLink ?? Deno.readLinkSync)("/etc/resolv.conf");
      const absolute = target.startsWith("/") ? target : `/etc/${target}`;
      if (masked.some((m) => isInside(absolute, m))) {
        args.push("--ro-bind-try", absolute, absolute);
      }
    }
    args.push("--dev", "/dev", "--proc", "/proc");
  } else {
    args.push("--ro-bind", "/usr", "/usr");
    for (const dir of ["/bin", "/sbin", "/lib", "/lib32", "/lib64"]) {
      const kind = inspect(dir);
      if (kind === "symlink") {
        args.push("--symlink", (call.readLink ?? Deno.readLinkSync)(dir), dir);
      } else if (kind === "dir") args.push("--ro-bind", dir, dir);
    }
    if (inspect("/etc/ld.so.cache") === "file") {
      args.push("--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache");
    }
    for (const exe of call.executables ?? []) {
      if (!isInside(exe, "/usr")) args.push("--ro-bind", exe, exe);
    }
    args.push("--dev", "/dev", "--proc", "/proc", "--size", String(TMP_BYTES), "--tmpfs", "/tmp");
    masked.push("/tmp");
  }
  args.push("--dir", "/tmp/home");

  const bind = settings.mode === "workspace-write" ? "--bind" : "--ro-bind";
  const roots = [call.workspace, ...call.extraRoots];
  for (const root of roots) args.push(bind, root, root);

  // Secrets stay hidden even inside a root (a workspace that contains $HERALD_HOME).
  const mask = (path: string, kind: "dir" | "file" | "symlink") => {
    if (kind === "dir") args.push("--perms", "0000", "--size", "4096", "--tmpfs", path);
    else if (kind === "file") args.push("--ro-bind", "/dev/null", path);
  };
  const list = call.list ?? listDir;
  // A hidden folder that holds a root (the workspace inside $HERALD_HOME): hide everything in
  // it except the way down to the root.
  const maskAround = (dir: string, root: string) => {
    if (dir === root) {
      for (const name of SECRET_FILE_NAMES) {
        const kind = inspect(`${dir}/${name}`);
        if (kind !== "missing") mask(`${dir}/${name}`, kind);
      }
      return;
    }
    for (const name of list(dir)) {
      const entry = `${dir}/${name}`;
      if (isInside(root, entry)) maskAround(entry, root);
      else {
        const kind = inspect(entry);
        if (kind !== "missing") mask(entry, kind);
      }
    }
  };
  for (const path of settings.hidden) {
    const kind = inspect(path);
    if (kind === "missing") continue;
    const holding = roots.find((r) => isInside(r, path));
    if (holding && kind === "dir") {
      maskAround(path, holding);
      continue;
    }
    const visible = roots.some((r) => isInside(path, r)) ||
      (call.layout === "terminal" && !masked.some((m) => isInside(path, m)));
    if (visible) mask(path, kind);
  }

  args.push("--chdir", call.cwd, "--clearenv");
  for (const [name, value] of Object.entries({ ...SANDBOX_ENV, ...call.env })) {
    args.push("--setenv", name, value);
  }
  args.push("--");
  return args;
}

/** True when `path` is `root` or below it. */
export function isInside(path: string, root: string): boolean {
  if (root === "/") return path.startsWith("/");
  return path === root || path.startsWith(root.endsWith("/") ? root : root + "/");
}

function inspectPath(path: string): "dir" | "file" | "symlink" | "missing" {
  try {
    const info = Deno.lstatSync(path);
    return info.isSymlink ? "symlink" : info.isDirectory ? "dir" : "file";
  } catch {
    return "missing";
  }
}

function listDir(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch {
    return [];
  }
}
