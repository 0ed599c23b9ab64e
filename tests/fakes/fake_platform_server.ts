/**
 * What every fake chat platform shares: a real HTTP server on 127.0.0.1 (a random port), the
 * WebSockets the client opened (Discord's Gateway, Slack's Socket Mode), waiting for a condition
 * on the fake's state, and closing it all.
 * @module
 */
import { CONDITION_TIMEOUT_MS, Conditions } from "./conditions.ts";

/**
 * The base of the fake platforms; a subclass answers requests in `handle`.
 *
 * @example
 * ```ts
 * class FakeThing extends FakePlatformServer {
 *   constructor() { super("FakeThing"); }
 *   protected handle(req: Request) { return new Response("ok"); }
 * }
 * ```
 */
export abstract class FakePlatformServer {
  /** Open WebSockets, closed by `close()`. */
  protected readonly sockets = new Set<WebSocket>();
  #server: Deno.HttpServer<Deno.NetAddr>;
  #conditions: Conditions;

  constructor(name: string) {
    this.#conditions = new Conditions(name);
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => this.handle(req),
    );
  }

  /** The port the fake listens on. */
  get port(): number {
    return this.#server.addr.port;
  }

  /**
   * Resolves when `predicate` holds (checked after every change the fake notifies); a timeout's
   * message ends with `detail()` (what was seen) when given.
   */
  waitFor(
    predicate: () => boolean,
    timeoutMs = CONDITION_TIMEOUT_MS,
    detail?: () => string,
  ): Promise<void> {
    return this.#conditions.waitFor(predicate, timeoutMs, detail);
  }

  /** Closes the sockets and stops the server. */
  async close(): Promise<void> {
    for (const ws of this.sockets) ws.close();
    await this.#server.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Re-checks the conditions waited for; call after each change of state. */
  protected notify(): void {
    this.#conditions.notify();
  }

  /** Answers one request. */
  protected abstract handle(req: Request): Response | Promise<Response>;
}
