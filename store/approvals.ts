/**
 * Pending approvals in Deno KV: a tool call waiting for a person's yes, stored with an expiry so
 * it survives a restart and can be answered exactly once; the turn it paused (the messages a
 * continuation needs) beside it; and the "always for this chat" grants.
 * @module
 */
import { deleteChunked, getChunked, setChunked } from "./chunked.ts";

/** A tool call as the model made it (OpenAI form). */
export interface ApprovalCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** What an answer says. */
export interface ApprovalAnswer {
  approved: boolean;
  reason?: string;
  /** Allow this tool for the rest of the conversation. */
  always?: boolean;
}

/** A stored approval. */
export interface StoredApproval {
  /** `mcpr_…` */
  id: string;
  /** The front door that asked (`api_server`, `telegram`, `cli`…). */
  platform: string;
  /**
   * Who may answer: the front door's conversation or caller (an API key's fingerprint, a chat
   * id). An answer from another scope is refused as unknown.
   */
  scope: string;
  call: ApprovalCall;
  /** Where the tool comes from (`herald`, an MCP server's label). */
  origin: string;
  /** Why approval was asked. */
  reason: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  expiresAt: number;
  state: "pending" | "approved" | "denied";
  answer?: ApprovalAnswer & { at: number };
  /** Front-door details (the Telegram message showing it, the response that asked…). */
  meta?: Record<string, unknown>;
}

/** Why an answer was not taken. */
export type AnswerRefusal = "unknown" | "expired" | "answered";

/** The outcome of {@link ApprovalStore.answer}. */
export type AnswerOutcome =
  | { ok: true; approval: StoredApproval }
  | { ok: false; refusal: AnswerRefusal; approval?: StoredApproval };

/** Options for an {@link ApprovalStore}. */
export interface ApprovalStoreOptions {
  /** Seconds an approval waits for its answer; default 600. */
  timeoutSeconds?: number;
  /** Key prefix; default `["approvals"]`. */
  prefix?: Deno.KvKey;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

/** Stands in for an approval that could not be read back. */
const unknownApproval: StoredApproval = {
  id: "",
  platform: "",
  scope: "",
  call: { id: "", type: "function", function: { name: "", arguments: "" } },
  origin: "",
  reason: "",
  createdAt: 0,
  expiresAt: 0,
  state: "pending",
};

/** How long an answered or expired approval is remembered, to say so instead of "unknown". */
const REMEMBER_MS = 24 * 3_600_000;

/**
 * Pending approvals, answered once, with an expiry.
 *
 * @example
 * ```ts
 * const approvals = new ApprovalStore(kv, { timeoutSeconds: 600 });
 * await approvals.create({ id, platform: "telegram", scope: "telegram:42", call, origin: "herald", reason });
 * const outcome = await approvals.answer(id, "telegram:42", { approved: true });
 * ```
 */
export class ApprovalStore {
  readonly #kv: Deno.Kv;
  readonly #prefix: Deno.KvKey;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #waiters = new Map<string, Set<(approval: StoredApproval) => void>>();

  constructor(kv: Deno.Kv, options: ApprovalStoreOptions = {}) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? ["approvals"];
    this.#timeoutMs = (options.timeoutSeconds ?? 600) * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Milliseconds an approval waits for its answer. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /**
   * Stores a new pending approval (and, when given, the paused turn's messages a continuation
   * needs). Returns the stored record.
   */
  async create(
    input: Omit<StoredApproval, "createdAt" | "expiresAt" | "state">,
    turn?: unknown,
  ): Promise<StoredApproval> {
    const now = this.#now();
    const approval: StoredApproval = {
      ...input,
      createdAt: now,
      expiresAt: now + this.#timeoutMs,
      state: "pending",
    };
    const expireIn = this.#timeoutMs + REMEMBER_MS;
    if (turn !== undefined) {
      await setChunked(this.#kv, this.#key("turn", approval.id), turn, {
        expireIn,
        chunkPrefix: [...this.#prefix, "chunks"],
      });
    }
    await this.#kv.set(this.#key("req", approval.id), approval, { expireIn });
    return approval;
  }

  /** The approval, or null when unknown (or forgotten a day after it ended). */
  async get(id: string): Promise<StoredApproval | null> {
    return (await this.#kv.get<StoredApproval>(this.#key("req", id))).value;
  }

  /** True when a pending approval has passed its expiry. */
  expired(approval: StoredApproval): boolean {
    return approval.state === "pending" && this.#now() >= approval.expiresAt;
  }

  /** The paused turn stored with the approval, if any. */
  async turn<T>(id: string): Promise<T | null> {
    return await getChunked<T>(this.#kv, this.#key("turn", id));
  }

  /**
   * Answers a pending approval, once. Refused as `unknown` for an id this scope never saw,
   * `expired` past its expiry, `answered` when it already has an answer.
   */
  async answer(id: string, scope: string, answer: ApprovalAnswer): Promise<AnswerOutcome> {
    for (;;) {
      const entry = await this.#kv.get<StoredApproval>(this.#key("req", id));
      const approval = entry.value;
      if (!approval || approval.scope !== scope) return { ok: false, refusal: "unknown" };
      if (approval.state !== "pending") return { ok: false, refusal: "answered", approval };
      if (this.expired(approval)) return { ok: false, refusal: "expired", approval };
      const answered: StoredApproval = {
        ...approval,
        state: answer.approved ? "approved" : "denied",
        answer: { ...answer, at: this.#now() },
      };
      const op = this.#kv.atomic().check(entry)
        .set(this.#key("req", id), answered, { expireIn: REMEMBER_MS });
      if (answer.approved && answer.always) {
        op.set(this.#key("grant", scope, approval.call.function.name), true);
      }
      const result = await op.commit();
      if (!result.ok) continue; // answered concurrently: read again, and refuse
      for (const wake of this.#waiters.get(id) ?? []) wake(answered);
      this.#waiters.delete(id);
      return { ok: true, approval: answered };
    }
  }

  /** Updates the front-door details of an approval (e.g. the message that shows it). */
  async setMeta(id: string, meta: Record<string, unknown>): Promise<void> {
    for (;;) {
      const entry = await this.#kv.get<StoredApproval>(this.#key("req", id));
      if (!entry.value) return;
      const updated = { ...entry.value, meta: { ...entry.value.meta, ...meta } };
      const expireIn = Math.max(1000, entry.value.expiresAt + REMEMBER_MS - this.#now());
      const result = await this.#kv.atomic().check(entry)
        .set(this.#key("req", id), updated, { expireIn }).commit();
      if (result.ok) return;
    }
  }

  /**
   * Resolves with the answered approval when it is answered in this process, or with the
   * pending one on expiry or abort (check its state). Never rejects.
   */
  wait(id: string, signal: AbortSignal): Promise<StoredApproval> {
    return new Promise((resolve) => {
      let done = false;
      const finish = async () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", finish);
        this.#waiters.get(id)?.delete(wake);
        // The store may be closing (shutdown): then the approval is, as far as we know, pending.
        const now = await this.get(id).catch(() => null);
        resolve(now ?? { ...unknownApproval, id });
      };
      const wake = (approval: StoredApproval) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", finish);
        resolve(approval);
      };
      let waiters = this.#waiters.get(id);
      if (!waiters) this.#waiters.set(id, waiters = new Set());
      waiters.add(wake);
      signal.addEventListener("abort", finish, { once: true });
      let timer: ReturnType<typeof setTimeout> | undefined;
      this.get(id).then((approval) => {
        if (done) return;
        if (!approval || approval.state !== "pending") return void finish();
        timer = setTimeout(finish, Math.max(0, approval.expiresAt - this.#now()));
      }, () => void finish());
      if (signal.aborted) void finish();
    });
  }

  /** Pending (unanswered, unexpired) approvals of a scope, oldest first. */
  async pending(scope: string): Promise<StoredApproval[]> {
    const out: StoredApproval[] = [];
    for await (const entry of this.#kv.list<StoredApproval>({ prefix: this.#key("req") })) {
      const a = entry.value;
      if (a.scope === scope && a.state === "pending" && !this.expired(a)) out.push(a);
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  /**
   * An earlier approval of the very same call in this scope that a turn may still use: pending
   * (not expired), or answered and not yet used. A turn replayed after a restart asks again for
   * the call it was waiting on; the answer given to the first question (before or after the
   * restart) then counts.
   */
  async reusable(
    scope: string,
    call: ApprovalCall,
    except: string,
  ): Promise<StoredApproval | null> {
    for await (const entry of this.#kv.list<StoredApproval>({ prefix: this.#key("req") })) {
      const a = entry.value;
      if (a.id === except || a.scope !== scope || a.meta?.used) continue;
      if (a.call.function.name !== call.function.name) continue;
      if (a.call.function.arguments !== call.function.arguments) continue;
      if (a.state === "pending" ? !this.expired(a) : true) return a;
    }
    return null;
  }

  /** True when the person allowed this tool for the whole scope ("always for this chat"). */
  async isGranted(scope: string, tool: string): Promise<boolean> {
    return (await this.#kv.get<boolean>(this.#key("grant", scope, tool))).value === true;
  }

  /** Forgets an approval and its stored turn. */
  async delete(id: string): Promise<void> {
    await this.#kv.delete(this.#key("req", id));
    await deleteChunked(this.#kv, this.#key("turn", id));
  }

  #key(...parts: string[]): Deno.KvKey {
    return [...this.#prefix, ...parts];
  }
}
