/**
 * The shapes the response store reads and writes: Responses API objects and items as JSON, a
 * response's place in its chain, and what a save takes.
 * @module
 */

/** A Responses API item (message, function_call, function_call_output, …) as JSON. */
export type ResponseItem = Record<string, unknown>;

/** A Response object as JSON (`object: "response"`). */
export type ResponseObject = Record<string, unknown> & { id: string; status?: string };

/** Where a response sits in its chain. */
export interface ChainPosition {
  id: string;
  /** The id of the first response of the chain. */
  root: string;
  /** 0 for the first response, previous depth + 1 after. */
  depth: number;
}

/** A stored response's metadata, without its items. */
export interface StoredResponse extends ChainPosition {
  /** The Response object without `output` (the output lives with the turn's items). */
  response: ResponseObject;
  previousResponseId: string | null;
  /** The conversation name the response was made under, if any. */
  conversation: string | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** One turn of a chain: the request's input items and the response's output items. */
export interface TurnItems {
  id: string;
  input: ResponseItem[];
  output: ResponseItem[];
}

/** What {@link ResponseStore.save} writes. */
export interface SaveResponse {
  /** The full Response object, `output` included. */
  response: ResponseObject;
  /** This request's input items, each with an `id`. */
  input: ResponseItem[];
  /** The previous response's position, or null for the first turn of a chain. */
  parent: ChainPosition | null;
  /** Point this conversation name at the response, if its head is still `expected`. */
  conversation?: { name: string; expected: ConversationHead } | null;
  /** Keep the response on the list of runs to fail if the process dies (background runs). */
  active?: boolean;
  /** Creation time in milliseconds; default now. */
  createdAt?: number;
}

/** The latest response under a conversation name, with the version the check uses. */
export interface ConversationHead {
  responseId: string | null;
  versionstamp: string | null;
}

/** Options for a {@link ResponseStore}. */
export interface ResponseStoreOptions {
  /** Key prefix; default `["responses"]`. */
  prefix?: Deno.KvKey;
  /** Responses older than this are treated as gone and swept; default 30. */
  retentionDays?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}
