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
