/**
 * The route of a chat platform's webhook (Telegram, Slack HTTP events): no API key, the
 * platform's own credential checked by the platform code, and the body handed to that code as
 * read under the body deadline, so a stalled webhook body gets its 408 like any other.
 * @module
 */
import { requestBody } from "./body.ts";
import type { Route } from "./router.ts";

/** What a platform gives for its webhook. */
export interface WebhookTarget {
  /** The request path, e.g. `/telegram/hook`. */
  path: string;
  /** Answers a delivery (reads the request's body itself). */
  handle: (req: Request) => Promise<Response>;
  /** Whether a delivery carries the platform's credential (reads a clone of the body). */
  verify?: (req: Request) => boolean | Promise<boolean>;
}

/**
 * Builds the POST route. The platform code gets a request carrying the body already read (under
 * the deadline when the `bodyDeadline` guard set one); wrong credentials still count against the
 * failed-auth throttle through `verify`.
 *
 * @example
 * ```ts
 * routes.push(webhookRoute({ path: "/telegram/hook", handle, verify }));
 * ```
 */
export function webhookRoute(target: WebhookTarget): Route {
  const { verify, handle } = target;
  return {
    method: "POST",
    path: target.path,
    auth: false,
    verify: verify && (async (req) => await verify(await requestBody(req).request())),
    handler: async (req) => await handle(await requestBody(req).request()),
  };
}
