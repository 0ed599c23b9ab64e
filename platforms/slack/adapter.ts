/**
 * Slack as the platform host sees it (main thread): the worker's settings, the hosts it may
 * reach, and in HTTP mode the route Slack POSTs events, slash commands and interactions to —
 * each request's signature checked against the signing secret before anything is stored, and
 * retries of one event recognised by its `event_id`.
 * @module
 */
import type { ResolvedConfig } from "../../config/mod.ts";
import type { PlatformSpec, WebhookVerdict } from "../host.ts";
import { type SlackDelivery, type SlackSettings, toPlatformUpdate } from "./protocol.ts";
import { constantTimeEqual } from "../../lib/mod.ts";
import { streamingFor } from "../../config/mod.ts";

/** Slack's hosts the worker may reach beside the configured API root: Socket Mode and files. */
const SLACK_HOSTS = ["slack.com", "wss-primary.slack.com", "wss-backup.slack.com"];
/** Requests older than this are refused, so a captured request cannot be replayed later. */
const MAX_REQUEST_AGE_S = 5 * 60;

/** The Slack platform for the host. */
export function slackSpec(resolved: ResolvedConfig): PlatformSpec {
  const { config } = resolved;
  const s = config.slack;
  if (!s.bot_token) {
    throw new Error("Cannot start Slack: slack.bot_token (SLACK_BOT_TOKEN) is not set");
  }
  if (s.mode === "socket" && !s.app_token) {
    throw new Error(
      "Cannot start Slack: Socket Mode needs an app-level token; set SLACK_APP_TOKEN (xapp-…), " +
        "or slack.mode: http with SLACK_SIGNING_SECRET",
    );
  }
  if (s.mode === "http" && !s.signing_secret) {
    throw new Error("Cannot start Slack: slack.mode http needs SLACK_SIGNING_SECRET");
  }
  const settings: SlackSettings = {
    botToken: s.bot_token,
    appToken: s.mode === "socket" ? s.app_token! : null,
    apiRoot: s.api_root,
    allowedUsers: s.allowed_users,
    allowAllUsers: s.allow_all_users,
    replyToMode: s.reply_to_mode,
    requireMention: s.require_mention,
    toolProgress: s.tool_progress,
    streaming: {
      enabled: streamingFor(config, "slack"),
      editIntervalMs: config.streaming.edit_interval * 1000,
      minTokens: config.streaming.min_tokens,
    },
  };
  const apiHost = new URL(s.api_root).host;
  const secret = s.signing_secret ?? "";
  return {
    name: "slack",
    label: "Slack",
    workerUrl: new URL("./worker.ts", import.meta.url),
    netHosts: [...new Set([apiHost, ...SLACK_HOSTS])],
    asksApprovals: true,
    settings,
    allowsNobodyHint: !s.allow_all_users && s.allowed_users.every((u) => u.trim() === "")
      ? "no users are allowed yet, so the app refuses everyone. Set SLACK_ALLOWED_USERS=<member " +
        "id U…>[,…] (a refused user is told their id), or SLACK_ALLOW_ALL_USERS=true."
      : undefined,
    webhook: s.mode === "http"
      ? { path: s.events_path, verify: (req) => verifySlackRequest(req, secret) }
      : undefined,
  };
}

/**
 * Checks a Slack request's signature (`v0=` HMAC-SHA256 of `v0:<timestamp>:<body>` with the
 * signing secret) and age, answers URL verification, and reads events, slash commands and
 * interactions into updates.
 */
export async function verifySlackRequest(
  req: Request,
  signingSecret: string,
  now = Date.now(),
): Promise<WebhookVerdict> {
  if (req.method !== "POST") {
    return { response: new Response("Method not allowed", { status: 405 }) };
  }
  const body = await req.text();
  const timestamp = req.headers.get("x-slack-request-timestamp") ?? "";
  const signature = req.headers.get("x-slack-signature") ?? "";
  const age = Math.abs(now / 1000 - Number(timestamp));
  if (!/^\d+$/.test(timestamp) || !(age <= MAX_REQUEST_AGE_S)) {
    return { response: new Response("Forbidden: stale or missing timestamp", { status: 403 }) };
  }
  const expected = `v0=${await hmacHex(signingSecret, `v0:${timestamp}:${body}`)}`;
  if (!constantTimeEqual(signature, expected)) {
    return { response: new Response("Forbidden: bad signature", { status: 403 }) };
  }
  const type = req.headers.get("content-type") ?? "";
  let delivery: SlackDelivery;
  try {
    if (type.includes("application/json")) {
      const json = JSON.parse(body);
      if (json.type === "url_verification") {
        return { response: Response.json({ challenge: String(json.challenge ?? "") }) };
      }
      if (json.type !== "event_callback") return { response: new Response("") };
      delivery = { kind: "events_api", body: json };
    } else {
      const form = new URLSearchParams(body);
      const payload = form.get("payload");
      delivery = payload
        ? { kind: "interactive", body: JSON.parse(payload) }
        : { kind: "slash_commands", body: Object.fromEntries(form) };
    }
  } catch {
    return { response: new Response("Bad request: unreadable body", { status: 400 }) };
  }
  // A slash command's 200 answer is shown to the user: an empty one shows nothing.
  const fallbackId = `http:${timestamp}:${signature.slice(3, 19)}`;
  return { updates: [toPlatformUpdate(delivery, fallbackId)], response: new Response("") };
}

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)),
  );
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}
