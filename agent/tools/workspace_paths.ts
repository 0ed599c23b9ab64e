/**
 * Keeps the file tools inside the workspace: a path the model sends is resolved against the
 * workspace, and refused when it leaves the workspace and the configured extra roots — whether by
 * an absolute path, `..` segments, or a symlink that points elsewhere.
 * @module
 */
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/** Where the file tools may work. */
export interface PathRoots {
  /** The workspace directory; relative paths are resolved against it. */
  workspace: string;
  /** More directories the tools may use (`tools.files.extra_roots`). */
  extraRoots?: readonly string[];
}

/** A path the model sent lies outside the allowed roots. */
export class PathRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PathRefusedError";
  }
}

/** How many symlinks one resolution may follow before it is treated as a loop. */
const MAX_LINKS = 40;

/**
 * Resolves `path` to an absolute, symlink-free path inside the workspace or an extra root.
 * The path need not exist (write_file creates files): the nearest existing ancestor is resolved
 * with realpath, dangling symlinks are followed by hand, and the rest is appended.
 *
 * @throws PathRefusedError when the path leaves every allowed root.
 * @example
 * ```ts
 * const file = await resolveWorkspacePath("src/app.ts", { workspace: "/home/me/project" });
 * ```
 */
export async function resolveWorkspacePath(path: string, roots: PathRoots): Promise<string> {
  if (path.includes("\0")) throw new PathRefusedError("The path contains a NUL byte.");
  const workspace = resolve(roots.workspace);
  const lexical = resolve(workspace, expandHome(path));
  const allowed = await realRoots(roots);
  if (!allowed.some((root) => isInside(lexical, root.lexical) || isInside(lexical, root.real))) {
    throw new PathRefusedError(
      `The path "${path}" is outside the workspace (${workspace})` +
        (roots.extraRoots?.length ? " and the configured extra roots" : "") +
        ". File tools may only use paths inside it; use a relative path.",
    );
  }
  const real = await realPathOf(lexical, 0);
  if (!allowed.some((root) => isInside(real, root.real))) {
    throw new PathRefusedError(
      `The path "${path}" resolves through a symlink to ${real}, which is outside the workspace. ` +
        "File tools do not follow symlinks out of the workspace.",
    );
  }
  return real;
}

/** Shows `absolute` relative to the workspace when it is inside, else as is. */
export function displayPath(absolute: string, workspace: string): string {
  const rel = relative(workspace, absolute);
  if (rel === "") return ".";
  return rel.startsWith("..") || isAbsolute(rel) ? absolute : rel;
}

/** True when `path` is `root` or below it. */
export function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** `~` and `~/…` expanded with `$HOME`. */
export function expandHome(path: string): string {
  if (path !== "~" && !path.startsWith("~/")) return path;
  const home = Deno.env.get("HOME");
  return home ? join(home, path.slice(1)) : path;
}

async function realRoots(roots: PathRoots): Promise<{ lexical: string; real: string }[]> {
  const all = [roots.workspace, ...(roots.extraRoots ?? [])].map((r) => resolve(expandHome(r)));
  return await Promise.all(all.map(async (lexical) => ({
    lexical,
    real: await realPathOf(lexical, 0),
  })));
}

/** Realpath that also works for paths that do not exist yet. */
async function realPathOf(path: string, links: number): Promise<string> {
  if (links > MAX_LINKS) throw new PathRefusedError(`Too many symlinks while resolving ${path}.`);
  try {
    return await Deno.realPath(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  // Either the path does not exist, or it is a dangling symlink whose target does not exist:
  // a write through it would land on the target, so resolve the target instead.
  let info: Deno.FileInfo | undefined;
  try {
    info = await Deno.lstat(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (info?.isSymlink) {
    const target = await Deno.readLink(path);
    return await realPathOf(resolve(dirname(path), target), links + 1);
  }
  const parent = dirname(path);
  if (parent === path) return path;
  return join(await realPathOf(parent, links), path.slice(parent.length).replace(/^\/+/, ""));
}
