/**
 * The registry of open Responses WebSocket connections, so shutdown can close them.
 * @module
 */

/** The open Responses WebSockets of one app, so shutdown can close them. */
export class ResponseSockets {
  #open = new Set<(code: number, reason: string) => void>();

  /** Connections open now. */
  get size(): number {
    return this.#open.size;
  }

  /** Registers a connection's closer; returns the function that unregisters it. */
  add(close: (code: number, reason: string) => void): () => void {
    this.#open.add(close);
    return () => this.#open.delete(close);
  }

  /**
   * Closes every connection (1001 "going away"): idle ones at once, busy ones once their running
   * turn ended (shutdown aborts turns that outlast its grace period).
   */
  closeAll(reason = "The gateway is shutting down."): void {
    for (const close of [...this.#open]) close(1001, reason);
  }
}
