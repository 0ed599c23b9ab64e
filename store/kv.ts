/**
 * Opens the one Deno KV handle Herald uses. A local file is guarded by a sidecar lock file,
 * because Deno's SQLite backend lets two processes open the same file without complaint.
 * @module
 */
import { dirname, join } from "node:path";
import { ensurePrivateDir, ensurePrivateFile } from "../config/mod.ts";
import { isRemoteKvPath } from "../lib/mod.ts";

/**
 * Opens the store: the default file `$HERALD_HOME/herald.kv`, a given file path, `:memory:`, or
 * an https URL (KV Connect; the token comes from `DENO_KV_ACCESS_TOKEN`).
 *
 * For files, an exclusive lock on `<file>.lock` is taken and held until `kv.close()`, so a second
 * Herald on the same file fails fast instead of interleaving writes with the first. The store,
 * its lock and SQLite's `-wal` and `-shm` files are readable by the owner only (SQLite gives
 * its side files the database file's mode, so the database is created 0600 before it opens).
 *
 * @throws Error when another process holds the file, or the file cannot be opened.
 * @example
 * ```ts
 * const kv = await openKv(undefined, "/home/me/.herald"); // /home/me/.herald/herald.kv
 * kv.close();
 * ```
 */
export async function openKv(path: string | undefined, home: string): Promise<Deno.Kv> {
  if (path === ":memory:" || (path !== undefined && isRemoteKvPath(path))) {
    return await Deno.openKv(path);
  }
  const file = path ?? join(home, "herald.kv");
  await ensurePrivateDir(dirname(file));
  const lockPath = `${file}.lock`;
  let lock: Deno.FsFile;
  try {
    await ensurePrivateFile(lockPath);
    lock = await Deno.open(lockPath, { read: true, write: true, create: true });
  } catch (e) {
    throw new Error(`Cannot open the store at ${file}: ${(e as Error).message}`, { cause: e });
  }
  if (!(await lock.tryLock(true))) {
    const holder = await readHolder(lockPath);
    lock.close();
    throw new StoreLockedError(file, lockPath, holder);
  }
  await lock.truncate(0);
  await lock.write(new TextEncoder().encode(`pid ${Deno.pid}\n`));
  let kv: Deno.Kv;
  try {
    await ensurePrivateFile(file);
    kv = await Deno.openKv(file);
    // Files an older version (or another tool) made with looser modes: tighten them too.
    for (const side of [`${file}-wal`, `${file}-shm`]) {
      await ensurePrivateFileIfPresent(side);
    }
  } catch (e) {
    lock.close();
    throw new Error(`Cannot open the store at ${file}: ${(e as Error).message}`, { cause: e });
  }
  // Deno.Kv has no close hook, and callers expect a plain Deno.Kv: closing it must also
  // release the lock, so the instance's close is wrapped.
  const closeKv = kv.close.bind(kv);
  kv.close = () => {
    try {
      closeKv();
    } finally {
      lock.close();
    }
  };
  return kv;
}

async function ensurePrivateFileIfPresent(path: string): Promise<void> {
  try {
    await Deno.lstat(path);
    await ensurePrivateFile(path);
  } catch { /* absent, or not ours to change: start-up's home check reports it */ }
}

/** The store's file is locked by another running Herald; `pid` says which, when known. */
export class StoreLockedError extends Error {
  constructor(readonly file: string, readonly lockPath: string, readonly pid?: number) {
    super(
      `Cannot open the store at ${file}: another Herald process is using it (lock file ${lockPath}${
        pid ? `: pid ${pid}` : ""
      }). Stop that process, or set HERALD_KV_PATH / store.kv_path to a different file.`,
    );
    this.name = "StoreLockedError";
  }
}

/** Reads the pid of the lock's holder, for the error message. */
async function readHolder(lockPath: string): Promise<number | undefined> {
  try {
    const match = /pid (\d+)/.exec(await Deno.readTextFile(lockPath));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
