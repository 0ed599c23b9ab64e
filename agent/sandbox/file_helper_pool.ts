/**
 * The cap on file helpers kept alive across every turn of the gateway. A session that needs a
 * helper reserves a place; when every place is taken, the least recently used idle helper of
 * another session is killed to make room; when all are busy, the new helper serves one call
 * and ends (it is not kept), so the number of live helpers stays bounded by the cap plus the
 * calls running at that moment.
 * @module
 */
import type { FileHelperProcess } from "./file_helper_process.ts";

/** At most this many file helpers are kept alive between calls, gateway-wide. */
export const MAX_KEPT_FILE_HELPERS = 8;

/** What the pool asks of a helper's owner before it evicts the helper. */
export interface FileHelperOwner {
  /** True when the owner is not in the middle of a call (its helper may be killed). */
  readonly idle: boolean;
}

interface Kept {
  owner: FileHelperOwner;
  lastUsed: number;
}

/** The live kept helpers and the places reserved for helpers being started. */
export class FileHelperPool {
  readonly max: number;
  #kept = new Map<FileHelperProcess, Kept>();
  #reserved = 0;
  #clock = 0;

  constructor(max = MAX_KEPT_FILE_HELPERS) {
    this.max = max;
  }

  /** Helpers kept alive now (for doctor, tests and the bench). */
  get size(): number {
    return this.#kept.size;
  }

  /**
   * Reserves a place for a helper about to start; evicts the least recently used idle helper
   * when the pool is full. False when every place is busy: the helper must not be kept.
   */
  reserve(): boolean {
    if (this.#kept.size + this.#reserved >= this.max) {
      let oldest: [FileHelperProcess, Kept] | undefined;
      for (const entry of this.#kept) {
        if (!entry[1].owner.idle || entry[0].busy) continue;
        if (!oldest || entry[1].lastUsed < oldest[1].lastUsed) oldest = entry;
      }
      if (!oldest) return false;
      this.#kept.delete(oldest[0]);
      // Its owner sees the helper gone at its next call and starts another.
      oldest[0].kill().catch(() => {});
    }
    this.#reserved++;
    return true;
  }

  /** Gives back a place {@link reserve} returned that was not used (the start failed). */
  cancel(): void {
    this.#reserved = Math.max(0, this.#reserved - 1);
  }

  /** Fills a reserved place with the helper that started. */
  add(helper: FileHelperProcess, owner: FileHelperOwner): void {
    this.cancel();
    this.#kept.set(helper, { owner, lastUsed: ++this.#clock });
  }

  /** Marks a kept helper as just used. */
  touch(helper: FileHelperProcess): void {
    const kept = this.#kept.get(helper);
    if (kept) kept.lastUsed = ++this.#clock;
  }

  /** Forgets a helper that ended. */
  remove(helper: FileHelperProcess): void {
    this.#kept.delete(helper);
  }
}

/** The gateway's one pool: every session shares its cap. */
export const sharedFileHelperPool: FileHelperPool = new FileHelperPool();
