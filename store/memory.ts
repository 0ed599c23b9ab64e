/**
 * Durable notes the agent keeps about the user (the `memory` tool), stored in Deno KV and
 * injected into the core system prompt of every turn on every platform.
 * Each note is its own KV entry; a version key bumped by every write makes read-modify-write
 * changes atomic, so two turns editing memory at once cannot lose a note or overrun the cap.
 * @module
 */

/** A memory change was refused: the note is missing, ambiguous, empty, or memory is full. */
export class MemoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MemoryError";
  }
}

/** Options for {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** The most characters all notes together may hold (`tools.memory.max_chars`). */
  maxChars: number;
  /** KV key prefix. Default `["memory"]`. */
  prefix?: Deno.KvKey;
  /**
   * How long a rendered block may be served without checking the version key again, in ms.
   * This process's own writes refresh it at once; this bounds how late writes by other
   * processes sharing the store (a second `herald`, KV Connect) show up. Default 1000.
   */
  renderTtlMs?: number;
}

interface Note {
  key: Deno.KvKey;
  text: string;
}

const ATTEMPTS = 10;

/**
 * The memory notes in KV.
 *
 * @example
 * ```ts
 * const memory = new MemoryStore(kv, { maxChars: 4000 });
 * await memory.add("Prefers answers in French.");
 * const block = await memory.render(); // "## What you remember about the user\n\n- Prefers…"
 * ```
 */
export class MemoryStore {
  #kv: Deno.Kv;
  #maxChars: number;
  #notesPrefix: Deno.KvKey;
  #versionKey: Deno.KvKey;
  #renderTtlMs: number;
  // The last rendered block, the version it was rendered at and when that was last confirmed:
  // every turn renders memory, and a KV read per turn was a measurable part of its cost.
  #rendered: { text: string; version: string | null; checkedAt: number } | undefined;
  // Bumped by this instance's writes, so a render that read before a write cannot cache its
  // older result after it.
  #writes = 0;

  constructor(kv: Deno.Kv, options: MemoryStoreOptions) {
    this.#kv = kv;
    this.#maxChars = options.maxChars;
    this.#renderTtlMs = options.renderTtlMs ?? 1000;
    const prefix = options.prefix ?? ["memory"];
    this.#notesPrefix = [...prefix, "notes"];
    this.#versionKey = [...prefix, "version"];
  }

  /** The cap on the total characters of all notes. */
  get maxChars(): number {
    return this.#maxChars;
  }

  /** Every note, oldest first. */
  async list(): Promise<string[]> {
    return (await this.#read()).notes.map((n) => n.text);
  }

  /**
   * Adds a note. Adding a note that already exists word for word changes nothing.
   * @throws MemoryError when the note is empty or would overrun the cap.
   */
  async add(text: string): Promise<void> {
    const note = cleanNote(text);
    await this.#update((notes) => {
      if (notes.some((n) => n.text === note)) return [];
      this.#ensureRoom(notes, note.length);
      return [{ set: { key: [...this.#notesPrefix, newId()], text: note } }];
    });
  }

  /**
   * Replaces the one note containing `oldText` with `newText`.
   * @throws MemoryError when no note or several notes contain `oldText`, or the cap would be
   * overrun.
   */
  async replace(oldText: string, newText: string): Promise<void> {
    const note = cleanNote(newText);
    await this.#update((notes) => {
      const target = findOne(notes, oldText);
      this.#ensureRoom(notes, note.length - target.text.length);
      return [{ set: { key: target.key, text: note } }];
    });
  }

  /**
   * Removes the one note containing `oldText`.
   * @throws MemoryError when no note or several notes contain it.
   */
  async remove(oldText: string): Promise<void> {
    await this.#update((notes) => [{ delete: findOne(notes, oldText).key }]);
  }

  /**
   * The block injected into the core system prompt, or "" when there are no notes.
   * Cached: this instance's writes show at once; writes by other processes sharing the store
   * show within `renderTtlMs` (the cache is confirmed against the version key that often).
   */
  async render(): Promise<string> {
    const cached = this.#rendered;
    const now = performance.now();
    if (cached && now - cached.checkedAt < this.#renderTtlMs) return cached.text;
    if (cached) {
      // Only the version key: the notes are listed again only when someone changed them.
      const version = await this.#kv.get<number>(this.#versionKey);
      if (versionOf(version) === cached.version) {
        cached.checkedAt = now;
        return cached.text;
      }
    }
    const writes = this.#writes;
    const { notes, version } = await this.#read();
    const text = renderNotes(notes.map((n) => n.text));
    if (writes === this.#writes) {
      this.#rendered = { text, version: versionOf(version), checkedAt: now };
    }
    return text;
  }

  #ensureRoom(notes: Note[], growth: number): void {
    const used = totalChars(notes.map((n) => n.text));
    if (growth > 0 && used + growth > this.#maxChars) {
      throw new MemoryError(
        `memory is full (${used}/${this.#maxChars} chars): remove or replace a note first. ` +
          `This change needs ${growth} more chars.`,
      );
    }
  }

  async #read(): Promise<{ notes: Note[]; version: Deno.KvEntryMaybe<number> }> {
    const version = await this.#kv.get<number>(this.#versionKey);
    const notes: Note[] = [];
    for await (const entry of this.#kv.list<string>({ prefix: this.#notesPrefix })) {
      notes.push({ key: entry.key, text: entry.value });
    }
    return { notes, version };
  }

  /** Reads, plans a change, and commits it only if no other write happened in between. */
  async #update(
    plan: (notes: Note[]) => ({ set: Note } | { delete: Deno.KvKey })[],
  ): Promise<void> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const { notes, version } = await this.#read();
      const changes = plan(notes);
      if (changes.length === 0) return;
      const op = this.#kv.atomic().check(version).set(this.#versionKey, (version.value ?? 0) + 1);
      for (const change of changes) {
        if ("set" in change) op.set(change.set.key, change.set.text);
        else op.delete(change.delete);
      }
      if ((await op.commit()).ok) {
        this.#writes++;
        this.#rendered = undefined;
        return;
      }
    }
    throw new MemoryError("Memory is being changed by another turn right now; try again.");
  }
}

function renderNotes(notes: string[]): string {
  if (notes.length === 0) return "";
  const lines = notes.map((n) => `- ${n.replace(/\n/g, "\n  ")}`);
  return "## What you remember about the user\n\n" +
    "Notes you saved earlier with the memory tool. Use them; keep them current with the tool.\n\n" +
    lines.join("\n");
}

/** The version entry's versionstamp (null when memory was never written): changes on every write. */
function versionOf(entry: Deno.KvEntryMaybe<number>): string | null {
  return entry.versionstamp;
}

function totalChars(notes: string[]): number {
  return notes.reduce((sum, n) => sum + n.length, 0);
}

function cleanNote(text: string): string {
  const note = text.trim();
  if (!note) throw new MemoryError("A memory note must not be empty.");
  return note;
}

function findOne(notes: Note[], oldText: string): Note {
  const needle = oldText.trim();
  if (!needle) throw new MemoryError("old_text must not be empty: quote part of the note.");
  const exact = notes.filter((n) => n.text === needle);
  if (exact.length === 1) return exact[0];
  const matches = notes.filter((n) => n.text.includes(needle));
  if (matches.length === 0) {
    throw new MemoryError(
      `No memory note contains "${needle}". Use action "list" to see the notes.`,
    );
  }
  if (matches.length > 1) {
    throw new MemoryError(
      `${matches.length} memory notes contain "${needle}": ` +
        matches.map((m) => `"${m.text}"`).join(", ") +
        ". Quote more of the one you mean so only it matches.",
    );
  }
  return matches[0];
}

let lastIdMs = 0;
let idSeq = 0;

/**
 * Ids that sort by creation time, so notes list oldest first. A counter orders notes added in
 * the same millisecond (the random part alone would order them by chance).
 */
function newId(): string {
  let ms = Date.now();
  if (ms <= lastIdMs) {
    ms = lastIdMs;
    idSeq++;
  } else {
    lastIdMs = ms;
    idSeq = 0;
  }
  return `${ms.toString(36).padStart(10, "0")}-${idSeq.toString(36).padStart(4, "0")}-${
    crypto.randomUUID().slice(0, 8)
  }`;
}

/**
 * Memory kept per API key: a turn asked with a named key (`actor` `key:<name>`) reads and writes
 * that key's own notes; the `default` key, the platforms and `herald chat` use the notes this
 * store holds itself. Used unless `tools.memory.shared` is true.
 *
 * @example
 * ```ts
 * const memory = new PerKeyMemory(kv, { maxChars: 4000 });
 * await memory.forActor("key:alice").add("Alice prefers short answers.");
 * ```
 */
export class PerKeyMemory extends MemoryStore {
  readonly #kv: Deno.Kv;
  readonly #options: MemoryStoreOptions;
  readonly #byKey = new Map<string, MemoryStore>();

  constructor(kv: Deno.Kv, options: MemoryStoreOptions) {
    super(kv, options);
    this.#kv = kv;
    this.#options = options;
  }

  /** The notes of `actor`: its key's own for `key:<name>`, else the shared default ones. */
  forActor(actor: string | undefined): MemoryStore {
    const name = actor?.startsWith("key:") ? actor.slice(4) : undefined;
    if (!name || name === "default") return this;
    let store = this.#byKey.get(name);
    if (!store) {
      store = new MemoryStore(this.#kv, { ...this.#options, prefix: ["keys", name, "memory"] });
      this.#byKey.set(name, store);
    }
    return store;
  }
}
