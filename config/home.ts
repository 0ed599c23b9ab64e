/**
 * `$HERALD_HOME` holds every stored conversation, tool output, memory note and key, so only its
 * owner may read it: the directory is 0700 and every file Herald creates in it 0600. Start-up
 * checks the modes and tightens looser ones (with a warning), since a home made by an older
 * version, a copy or a restore may have been left readable by every local user.
 * @module
 */
import { isAbsolute, join, relative, resolve } from "node:path";

/** The mode of `$HERALD_HOME` and every directory Herald creates in it. */
export const PRIVATE_DIR_MODE = 0o700;
/** The mode of every file Herald creates in `$HERALD_HOME`. */
export const PRIVATE_FILE_MODE = 0o600;

// Deep trees (a workspace someone pointed into the home, say) are not Herald's to police.
const MAX_DEPTH = 3;
const MAX_ENTRIES = 10_000;

/** Whether POSIX modes apply here (Windows has ACLs instead, and chmod is a no-op there). */
function hasModes(): boolean {
  return Deno.build.os !== "windows";
}

/**
 * Creates `dir` (and missing parents) owner-only. A directory that already exists keeps its
 * mode; {@link securePrivateHome} tightens it.
 *
 * @example
 * ```ts
 * await ensurePrivateDir("/home/me/.herald");
 * ```
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Writes a file readable only by its owner, atomically: a reader sees the old content or the new,
 * never half of it. The mode is set explicitly, because `mode` on creation is masked by the umask.
 *
 * @example
 * ```ts
 * await writePrivateFile("/home/me/.herald/keys.json", "{}\n");
 * ```
 */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(temporary, text, { mode: PRIVATE_FILE_MODE, createNew: true });
    if (hasModes()) await Deno.chmod(temporary, PRIVATE_FILE_MODE);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

/**
 * Creates an empty owner-only file when `path` does not exist yet (so that a library creating it
 * later, such as SQLite for the store and its `-wal`/`-shm` siblings, inherits the mode), and
 * tightens it when it does.
 */
export async function ensurePrivateFile(path: string): Promise<void> {
  try {
    const file = await Deno.open(path, { write: true, createNew: true, mode: PRIVATE_FILE_MODE });
    file.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  await tighten(path, PRIVATE_FILE_MODE);
}

/** Sets `mode` on `path` when its current mode grants more; returns the old mode when changed. */
async function tighten(path: string, mode: number): Promise<number | null> {
  if (!hasModes()) return null;
  const info = await Deno.lstat(path);
  if (info.isSymlink || info.mode === null) return null;
  const current = info.mode & 0o777;
  if ((current & ~mode) === 0) return null;
  await Deno.chmod(path, current & mode);
  return current;
}

/**
 * Makes `$HERALD_HOME` owner-only: creates it 0700 when missing, and walks what is in it,
 * tightening any directory looser than 0700 and any file looser than 0600. Symbolic links are
 * left alone (their targets are not Herald's), and so are the paths in `options.leave` (the
 * workspace and the file tools' extra roots: the user's own files), the folders below the home
 * that hold them and everything inside them; the home itself is always made 0700. Returns one warning line per fixed path,
 * for the banner; an empty list when everything was already private.
 *
 * @example
 * ```ts
 * for (const line of await securePrivateHome(resolved.home)) console.error(`warning: ${line}`);
 * ```
 */
export async function securePrivateHome(
  home: string,
  options: { leave?: readonly string[] } = {},
): Promise<string[]> {
  await ensurePrivateDir(home);
  if (!hasModes()) return [];
  const leave = (options.leave ?? []).map((path) => resolve(path));
  const isLeft = (path: string) =>
    leave.some((kept) => {
      const rel = relative(path, kept);
      const back = relative(kept, path);
      // path is kept, holds kept, or lies inside kept.
      return rel === "" || !rel.startsWith("..") && !isAbsolute(rel) ||
        !back.startsWith("..") && !isAbsolute(back);
    });
  const warnings: string[] = [];
  let seen = 0;
  const fix = async (path: string, isDir: boolean) => {
    let old: number | null;
    try {
      old = await tighten(path, isDir ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE);
    } catch (error) {
      // Someone else's file in our home (a root-owned log, say): say so, do not stop start-up.
      warnings.push(`cannot restrict ${path}: ${(error as Error).message}`);
      return;
    }
    if (old !== null) {
      const now = old & (isDir ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE);
      warnings.push(
        `${path} was readable by other users (mode ${octal(old)}); changed to ${octal(now)}`,
      );
    }
  };
  const walk = async (dir: string, depth: number) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch {
      return;
    }
    for (const entry of entries) {
      if (++seen > MAX_ENTRIES || entry.isSymlink) continue;
      const path = join(dir, entry.name);
      if (isLeft(path)) continue;
      await fix(path, entry.isDirectory);
      if (entry.isDirectory && depth < MAX_DEPTH) await walk(path, depth + 1);
    }
  };
  // The home itself is always private, even when the workspace sits inside it.
  await fix(home, true);
  await walk(home, 1);
  return warnings;
}

function octal(mode: number): string {
  return "0" + mode.toString(8).padStart(3, "0");
}
