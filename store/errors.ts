/**
 * Errors the store raises for conditions its callers handle (a conflict is not a bug).
 * @module
 */

/** Thrown when a conversation name moved on while a turn was running in another process. */
export class ConversationConflictError extends Error {
  constructor(name: string) {
    super(`Cannot store the turn: conversation '${name}' was advanced by another process.`);
    this.name = "ConversationConflictError";
  }
}

/** Thrown when a list's `after` or `before` cursor names nothing in that list. */
export class CursorNotFoundError extends Error {
  /** The query parameter that held the cursor. */
  readonly param: "after" | "before";
  constructor(param: "after" | "before", id: string) {
    super(`No '${id}' in this list to page ${param}: '${param}' must be an id from the list.`);
    this.name = "CursorNotFoundError";
    this.param = param;
  }
}
