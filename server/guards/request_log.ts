/**
 * One structured log line per request, written when the response body has ended (so a stream's
 * duration is its whole life) and saying how it really ended: a 200 stream whose turn failed
 * upstream is `failed`, with the error code and its cause. Only metadata: no bodies, no headers,
 * no query strings, since those can carry keys or prompts. JSON lines for log collectors, or
 * one coloured human line per request on a terminal.
 * @module
 */
import type { Middleware, RequestContext, RequestOutcome } from "../router.ts";
import { settle } from "./settle.ts";
import { type BodyOutcome, trackBody } from "./track_body.ts";

/** The fields of one request log line. */
export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  status: number;
  /** How the request really ended; for agent turns, how the turn ended. */
  outcome: RequestOutcome["status"];
  duration_ms: number;
  request_id: string;
  client: string;
  /** The API key's name, when the request authenticated with a named key (never the key). */
  key?: string;
  /** The error code or incomplete reason. */
  code?: string;
  /** Why it failed or was cancelled. */
  cause?: string;
}

/** `text`: one human line per request (coloured when `color`); `json`: JSON lines. */
export type LogFormat = "text" | "json";

/** Which lines are written: `info` all, `warn` all but completed ones, `error` failures only. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Options for {@link requestLog}. */
export interface RequestLogOptions {
  /** Receives one line per request. Default: `console.log`. */
  log?: (line: string) => void;
  /** Default `json`. */
  format?: LogFormat;
  /** ANSI colours in the text format. Default false. */
  color?: boolean;
  /** Default `info`. */
  level?: LogLevel;
  /** The clock, for tests. */
  now?: () => number;
}

const MAX_PATH = 256;
const MAX_CAUSE = 300;
const MAX_ERROR_BODY = 8192;

/**
 * Builds the request logger.
 *
 * @example
 * ```ts
 * requestLog({ log: (line) => console.error(line) });
 * // {"time":"…","method":"POST","path":"/v1/responses","status":200,"outcome":"failed",
 * //  "code":"upstream_error","cause":"Upstream … closed the stream",…}
 * ```
 */
export function requestLog(options: RequestLogOptions = {}): Middleware {
  const log = options.log ?? ((line: string) => console.log(line));
  const now = options.now ?? performance.now.bind(performance);
  const format = options.format ?? "json";
  const threshold = LEVELS[options.level ?? "info"];
  return async (req, ctx, next) => {
    const start = now();
    const res = await settle(next, ctx);
    // An error answer's envelope says why; read a copy before the body goes out.
    const envelope = res.status >= 400 ? await readEnvelope(res) : undefined;
    let logged = false;
    const write = (body: BodyOutcome) => {
      if (logged) return;
      logged = true;
      const entry = buildEntry(req, ctx, res.status, body, envelope);
      entry.duration_ms = Math.round(now() - start);
      if (LEVELS[levelOf(entry)] < threshold) return;
      try {
        log(format === "json" ? JSON.stringify(entry) : formatText(entry, options.color ?? false));
      } catch { /* a failing log sink must not break the response */ }
    };
    // When the connection is already gone (a broken chunked body), Deno never reads the body, so
    // the body's end never comes: the server's own "done" makes sure the line is still written.
    ctx.completed?.then((done) => write(done === "sent" ? "complete" : "cancelled"));
    return trackBody(res, write, ctx.completed);
  };
}

const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function levelOf(entry: RequestLogEntry): LogLevel {
  if (entry.outcome === "failed") return "error";
  return entry.outcome === "completed" ? "info" : "warn";
}

function buildEntry(
  req: Request,
  ctx: RequestContext,
  status: number,
  body: BodyOutcome,
  envelope: { code?: string; message?: string } | undefined,
): RequestLogEntry {
  const entry: RequestLogEntry = {
    time: new Date().toISOString(),
    method: req.method.slice(0, 16),
    path: ctx.url.pathname.slice(0, MAX_PATH),
    status,
    outcome: "completed",
    duration_ms: 0,
    request_id: ctx.requestId,
    client: ctx.remoteAddr,
  };
  if (ctx.keyName) entry.key = ctx.keyName;
  let outcome: RequestOutcome;
  if (body === "cancelled") {
    // The client left before the end: whatever the turn would have said, it was cancelled.
    outcome = { status: "cancelled", cause: ctx.outcome?.cause ?? "client disconnected" };
  } else if (ctx.outcome) {
    outcome = ctx.outcome;
  } else if (body === "error") {
    outcome = { status: "failed", code: "stream_error", cause: "the response body failed" };
  } else if (status >= 400) {
    outcome = { status: "failed", code: envelope?.code, cause: envelope?.message };
  } else {
    outcome = { status: "completed" };
  }
  entry.outcome = outcome.status;
  if (outcome.code) entry.code = outcome.code;
  if (outcome.cause) entry.cause = oneLine(outcome.cause);
  return entry;
}

async function readEnvelope(res: Response): Promise<{ code?: string; message?: string }> {
  if (!res.body || !(res.headers.get("content-type") ?? "").includes("json")) return {};
  try {
    const text = await res.clone().text();
    if (text.length > MAX_ERROR_BODY) return {};
    const error = JSON.parse(text)?.error;
    return {
      code: typeof error?.code === "string" ? error.code : undefined,
      message: typeof error?.message === "string" ? error.message : undefined,
    };
  } catch {
    return {};
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX_CAUSE ? `${flat.slice(0, MAX_CAUSE - 1)}…` : flat;
}

const OUTCOME_COLOUR: Record<RequestOutcome["status"], number> = {
  completed: 32,
  incomplete: 33,
  cancelled: 33,
  failed: 31,
};

/**
 * One human line: `12:04:31 POST /v1/chat/completions 200 failed upstream_error 812ms key=ci
 * req=3f2a… — Upstream … closed the stream`.
 */
export function formatText(entry: RequestLogEntry, color: boolean): string {
  const paint = (code: number, text: string) => color ? `\x1b[${code}m${text}\x1b[39m` : text;
  const dim = (text: string) => color ? `\x1b[2m${text}\x1b[22m` : text;
  const parts = [
    dim(entry.time.slice(11, 19)),
    `${entry.method} ${entry.path}`,
    String(entry.status),
    paint(OUTCOME_COLOUR[entry.outcome], entry.outcome),
  ];
  if (entry.code) parts.push(entry.code);
  parts.push(`${entry.duration_ms}ms`);
  if (entry.key) parts.push(dim(`key=${entry.key}`));
  parts.push(dim(`req=${entry.request_id.slice(0, 8)}`));
  return parts.join(" ") + (entry.cause ? ` — ${entry.cause}` : "");
}
