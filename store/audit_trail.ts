/**
 * The audit trail of tool calls: JSON lines appended to `$HERALD_HOME/audit/audit.jsonl`
 * (owner-only, each line flushed to disk before the next), rotated to `audit.1.jsonl`… when it
 * grows past a size, and read back — also while a gateway is appending — by `herald audit`.
 * Secrets are masked before a record gets here; the trail never holds them.
 * @module
 */
import { join } from "node:path";

/** One tool call. */
export interface AuditRecord {
  /** When the call started, ISO 8601. */
  time: string;
  /** The front door: `api_server`, `telegram`, `cli`… */
  front_door: string;
  /** Who asked: `key:NAME` for an API key, `user:ID` for a platform user. */
  actor?: string;
  /** The conversation (session key), when there is one. */
  conversation?: string;
  tool: string;
  /** The arguments, secrets masked (parsed JSON when they were JSON). */
  arguments: unknown;
  outcome: "ok" | "error";
  /** The first line of the error, when the call failed. */
  error?: string;
  duration_ms: number;
}

/** Options for {@link AuditTrail}. */
export interface AuditTrailOptions {
  /** Size at which the current file is rotated. Default 10 MB. */
  maxBytes?: number;
  /** Rotated files kept. Default 5. */
  keep?: number;
}

/** The current file's name; rotated ones are `audit.1.jsonl` (newest) to `audit.N.jsonl`. */
export const AUDIT_FILE = "audit.jsonl";

/** The trail's folder in a Herald home. */
export function auditDir(home: string): string {
  return join(home, "audit");
}

const encoder = new TextEncoder();

/**
 * Appends records in order, one write and one flush each, off the caller's path: `append`
 * returns at once and `flushed()` resolves when everything so far is on disk.
 *
 * @example
 * ```ts
 * const trail = new AuditTrail(auditDir(home));
 * trail.append({ time: new Date().toISOString(), front_door: "cli", tool: "terminal",
 *   arguments: { command: "ls" }, outcome: "ok", duration_ms: 12 });
 * await trail.close();
 * ```
 */
export class AuditTrail {
  readonly dir: string;
  readonly #maxBytes: number;
  readonly #keep: number;
  #queue: Promise<void> = Promise.resolve();
  #failed = false;

  constructor(dir: string, options: AuditTrailOptions = {}) {
    this.dir = dir;
    this.#maxBytes = options.maxBytes ?? 10_000_000;
    this.#keep = options.keep ?? 5;
  }

  /** Queues a record. Failures are reported once on stderr and never thrown at the caller. */
  append(record: AuditRecord): void {
    const line = encoder.encode(JSON.stringify(record) + "\n");
    this.#queue = this.#queue.then(() => this.#write(line)).catch((error) => {
      if (!this.#failed) {
        this.#failed = true;
        console.error(`Cannot write the audit trail in ${this.dir}: ${(error as Error).message}`);
      }
    });
  }

  /** Resolves once every queued record is written and flushed. */
  flushed(): Promise<void> {
    return this.#queue;
  }

  /** Waits for queued records. */
  close(): Promise<void> {
    return this.flushed();
  }

  async #write(line: Uint8Array): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, AUDIT_FILE);
    const size = await Deno.stat(path).then((info) => info.size, () => 0);
    if (size > 0 && size + line.length > this.#maxBytes) await this.#rotate();
    const file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
    try {
      let rest = line;
      while (rest.length > 0) rest = rest.subarray(await file.write(rest));
      await file.syncData();
    } finally {
      file.close();
    }
  }

  async #rotate(): Promise<void> {
    await Deno.remove(join(this.dir, `audit.${this.#keep}.jsonl`)).catch(() => {});
    for (let n = this.#keep - 1; n >= 1; n--) {
      await Deno.rename(join(this.dir, `audit.${n}.jsonl`), join(this.dir, `audit.${n + 1}.jsonl`))
        .catch(() => {});
    }
    await Deno.rename(join(this.dir, AUDIT_FILE), join(this.dir, "audit.1.jsonl"));
  }
}

/** Which records {@link readAuditTrail} returns. */
export interface AuditFilter {
  /** Only calls of this tool. */
  tool?: string;
  /** Only calls at or after this time (epoch ms). */
  since?: number;
}

/** True when a record passes the filter. */
export function matchesAudit(record: AuditRecord, filter: AuditFilter): boolean {
  if (filter.tool !== undefined && record.tool !== filter.tool) return false;
  if (filter.since !== undefined && Date.parse(record.time) < filter.since) return false;
  return true;
}

/** The trail's files, oldest first. */
export async function auditFiles(dir: string): Promise<string[]> {
  const rotated: Array<[number, string]> = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const match = /^audit\.(\d+)\.jsonl$/.exec(entry.name);
      if (match) rotated.push([Number(match[1]), join(dir, entry.name)]);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  rotated.sort((a, b) => b[0] - a[0]);
  return [...rotated.map(([, path]) => path), join(dir, AUDIT_FILE)];
}

/** Parses the complete lines of a trail text; a torn last line (being written) is skipped. */
export function parseAuditLines(text: string): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      records.push(JSON.parse(line));
    } catch { /* a line being written, or damage: skip it */ }
  }
  return records;
}

/** Reads every record that passes the filter, oldest first. */
export async function readAuditTrail(
  dir: string,
  filter: AuditFilter = {},
): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for (const path of await auditFiles(dir)) {
    const text = await Deno.readTextFile(path).catch(() => "");
    records.push(...parseAuditLines(text).filter((record) => matchesAudit(record, filter)));
  }
  return records;
}

/**
 * Yields records appended to the current file from now on (and after a rotation, from the new
 * file), polling every `intervalMs`, until `signal` aborts.
 */
export async function* followAuditTrail(
  dir: string,
  options: { filter?: AuditFilter; signal: AbortSignal; intervalMs?: number },
): AsyncGenerator<AuditRecord> {
  const path = join(dir, AUDIT_FILE);
  const look = () =>
    Deno.stat(path).then((info) => ({ size: info.size, ino: info.ino }), () => ({
      size: 0,
      ino: null,
    }));
  let { size: offset, ino: inode } = await look();
  let pending = "";
  while (!options.signal.aborted) {
    const { size, ino } = await look();
    if (size < offset || ino !== inode) {
      inode = ino;
      // Rotated: the file now in place is new; read it from its start.
      offset = 0;
      pending = "";
    }
    if (size > offset) {
      const file = await Deno.open(path, { read: true });
      try {
        await file.seek(offset, Deno.SeekMode.Start);
        const buffer = new Uint8Array(size - offset);
        let read = 0;
        while (read < buffer.length) {
          const n = await file.read(buffer.subarray(read));
          if (n === null) break;
          read += n;
        }
        offset += read;
        pending += new TextDecoder().decode(buffer.subarray(0, read));
      } finally {
        file.close();
      }
      const end = pending.lastIndexOf("\n");
      if (end >= 0) {
        for (const record of parseAuditLines(pending.slice(0, end))) {
          if (matchesAudit(record, options.filter ?? {})) yield record;
        }
        pending = pending.slice(end + 1);
      }
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, options.intervalMs ?? 500);
      function done() {
        clearTimeout(timer);
        options.signal.removeEventListener("abort", done);
        resolve();
      }
      options.signal.addEventListener("abort", done, { once: true });
    });
  }
}
