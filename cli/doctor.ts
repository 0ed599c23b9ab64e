/**
 * `herald doctor`: checks what herald depends on at run time and says how to fix what is broken.
 * Each check has a few seconds; one line each, ✓ or ✗.
 * @module
 */
import { dirname } from "node:path";
import { resolveKvPath } from "../config/mod.ts";
import { hasApiVersion, withV1 } from "../agent/mod.ts";
import { openKv, StoreLockedError } from "../store/mod.ts";
import { maskSecret } from "../config/mod.ts";
import type { ResolvedConfig } from "../config/mod.ts";
import { checkSandbox } from "./doctor_sandbox.ts";
import { type CliIo, forUser, styler } from "./io.ts";
import { checkMcpServers } from "./mcp_command.ts";
import { describeError, isRemoteKvPath } from "../lib/mod.ts";

/** The outcome of one check. */
export interface CheckResult {
  /** True: passed; false: failed; null: skipped (not configured). */
  ok: boolean | null;
  /** What was checked and what was found; failures say how to fix them. */
  line: string;
}

/** How long each network check may take. */
export const CHECK_TIMEOUT_MS = 5000;

/** Runs every check, prints a line each, and returns 1 when any failed. */
export async function runDoctor(resolved: ResolvedConfig, io: CliIo): Promise<number> {
  const style = styler(io.color);
  for (const warning of resolved.warnings ?? []) io.stderr.write(`warning: ${warning}\n`);
  const results = [
    await checkLlm(resolved),
    await checkKv(resolved),
    await checkTelegram(resolved),
    await checkDiscord(resolved),
    await checkSlack(resolved),
    await checkPort(resolved),
    await checkSandbox(resolved),
    ...await checkMcpServers(resolved, io),
  ];
  for (const result of results) {
    const mark = result.ok === true
      ? style.green("✓")
      : result.ok === false
      ? style.red("✗")
      : style.dim("–");
    io.stdout.write(`${mark} ${forUser(result.line, io.command)}\n`);
  }
  return results.some((result) => result.ok === false) ? 1 : 0;
}

/** The upstream answers `GET /models` and offers the configured model. */
export async function checkLlm(resolved: ResolvedConfig): Promise<CheckResult> {
  const base = resolved.baseUrl.replace(/\/+$/, "");
  const { name, api_key: apiKey } = resolved.config.model;
  const fixV1 = `Fix: the base URL has no /v1; set OPENAI_BASE_URL (model.base_url) to ${
    withV1(base)
  }.`;
  const fixReach = resolved.config.model.base_url
    ? "Fix: start the upstream or correct model.base_url (OPENAI_BASE_URL)."
    : apiKey
    ? "Fix: check the network, or set model.base_url (OPENAI_BASE_URL)."
    : "Fix: start Ollama (ollama serve), or set OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL.";
  let response: Response;
  try {
    response = await fetch(`${base}/models`, {
      headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {},
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
  } catch (error) {
    return { ok: false, line: `LLM: cannot reach ${base} (${reason(error)}). ${fixReach}` };
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    return {
      ok: false,
      line:
        `LLM: ${base} refused the API key (HTTP ${response.status}). Fix: check model.api_key (OPENAI_API_KEY).`,
    };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return {
      ok: false,
      line: `LLM: ${base}/models answered HTTP ${response.status}. ${
        hasApiVersion(base) ? fixReach : fixV1
      }`,
    };
  }
  let ids: string[];
  try {
    const body = await response.json() as { data?: { id?: unknown }[] };
    ids = (body.data ?? []).map((model) => String(model.id));
  } catch {
    return {
      ok: false,
      line: `LLM: ${base}/models did not answer a model list. ${
        hasApiVersion(base)
          ? "Fix: point model.base_url at an OpenAI-compatible /v1 endpoint."
          : fixV1
      }`,
    };
  }
  // Ollama lists "llama3.1:latest" for "llama3.1".
  if (!ids.includes(name) && !ids.includes(`${name}:latest`)) {
    const offered = ids.length > 0 ? ids.slice(0, 10).join(", ") : "none";
    return {
      ok: false,
      line:
        `LLM: ${base} does not offer the model "${name}" (it offers: ${offered}). Fix: set model.name (HERALD_MODEL) to one of them${
          resolved.config.model.api_key ? "" : ", or pull it (ollama pull " + name + ")"
        }.`,
    };
  }
  return { ok: true, line: `LLM: ${base} answers and offers "${name}".` };
}

/** The Deno KV database opens and takes a write. */
export async function checkKv(resolved: ResolvedConfig): Promise<CheckResult> {
  const path = resolveKvPath(resolved);
  const local = path !== ":memory:" && !isRemoteKvPath(path);
  let kv: Deno.Kv | undefined;
  try {
    if (local) await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    // Through the same lock herald serve and chat take, so a store a gateway holds shows here.
    kv = local ? await openKv(path, resolved.home) : await Deno.openKv(path);
    const key = ["herald", "doctor", crypto.randomUUID()];
    await kv.set(key, Date.now(), { expireIn: 60_000 });
    await kv.delete(key);
    return { ok: true, line: `Database: ${path} is writable.` };
  } catch (error) {
    if (error instanceof StoreLockedError) {
      const who = error.pid ? `a running Herald (pid ${error.pid})` : "another Herald process";
      return {
        ok: false,
        line: `Database: ${path} is locked by ${who}; \`herald chat\` and a second gateway ` +
          `cannot open it while it runs. Fix: stop that process${
            error.pid ? ` (kill ${error.pid})` : ""
          }, or give this command its own store with HERALD_KV_PATH=/path/to/other.kv.`,
      };
    }
    return {
      ok: false,
      line: `Database: cannot write ${path} (${
        reason(error)
      }). Fix: set store.kv_path (HERALD_KV_PATH) to a writable file.`,
    };
  } finally {
    kv?.close();
  }
}

/** The Telegram bot token is accepted by `getMe`, when a token is set. */
export async function checkTelegram(resolved: ResolvedConfig): Promise<CheckResult> {
  const { bot_token: token, api_root: apiRoot } = resolved.config.telegram;
  if (!token) {
    return { ok: null, line: "Telegram: not configured (set TELEGRAM_BOT_TOKEN to enable it)." };
  }
  const root = apiRoot.replace(/\/+$/, "");
  // Error messages may quote the URL, which holds the token: never print it.
  const hide = (text: string) => text.replaceAll(token, maskSecret(token));
  let response: Response;
  try {
    response = await fetch(`${root}/bot${token}/getMe`, {
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
  } catch (error) {
    return {
      ok: false,
      line: hide(
        `Telegram: cannot reach ${root} (${
          reason(error)
        }). Fix: check the network or telegram.api_root (TELEGRAM_API_ROOT).`,
      ),
    };
  }
  const body = await response.json().catch(() => undefined) as
    | { ok?: boolean; result?: { username?: string }; description?: string }
    | undefined;
  if (response.status === 401 || response.status === 404) {
    return {
      ok: false,
      line:
        "Telegram: the bot token was rejected. Fix: copy the token from @BotFather into TELEGRAM_BOT_TOKEN.",
    };
  }
  if (!response.ok || !body?.ok) {
    return {
      ok: false,
      line: hide(
        `Telegram: getMe failed (HTTP ${response.status}${
          body?.description ? `: ${body.description}` : ""
        }). Fix: check TELEGRAM_BOT_TOKEN and telegram.api_root.`,
      ),
    };
  }
  return { ok: true, line: `Telegram: the token belongs to @${body.result?.username ?? "?"}.` };
}

/** The API server's port is free to bind. */
export function checkPort(resolved: ResolvedConfig): Promise<CheckResult> {
  const { enabled, host, port } = resolved.config.api_server;
  if (!enabled) {
    return Promise.resolve({ ok: null, line: "Port: the API server is disabled." });
  }
  try {
    const listener = Deno.listen({ hostname: host, port });
    listener.close();
    return Promise.resolve({ ok: true, line: `Port: ${host}:${port} is free.` });
  } catch (error) {
    const fix = error instanceof Deno.errors.AddrInUse
      ? "Fix: stop what uses it (is herald already running?) or choose another port (--port, API_SERVER_PORT)."
      : "Fix: set api_server.host (API_SERVER_HOST, --host) to an address of this machine.";
    const what = error instanceof Deno.errors.AddrInUse
      ? "is in use"
      : `cannot be bound (${reason(error)})`;
    return Promise.resolve({ ok: false, line: `Port: ${host}:${port} ${what}. ${fix}` });
  }
}

function reason(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return `no answer within ${CHECK_TIMEOUT_MS / 1000} s`;
  }
  // fetch says "fetch failed" and keeps the real reason in `cause`; its last clause is the
  // useful one ("Connection refused (os error 111)").
  const inner = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const message = describeError(inner);
  const clauses = message.split("\n")[0].split(": ");
  return clauses[clauses.length - 1].replace(/ \(os error \d+\)$/, "").trim() || message;
}

/** The Slack tokens are accepted (`auth.test`, and `apps.connections.open` for Socket Mode). */
export async function checkSlack(resolved: ResolvedConfig): Promise<CheckResult> {
  const { bot_token: token, app_token: appToken, api_root: apiRoot, mode } = resolved.config.slack;
  if (!token) {
    return { ok: null, line: "Slack: not configured (set SLACK_BOT_TOKEN to enable it)." };
  }
  const root = apiRoot.replace(/\/+$/, "");
  const call = async (method: string, bearer: string) => {
    const response = await fetch(`${root}/${method}`, {
      method: "POST",
      headers: { authorization: `Bearer ${bearer}` },
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
    return await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` })) as {
      ok?: boolean;
      error?: string;
      user?: string;
      team?: string;
    };
  };
  let auth;
  try {
    auth = await call("auth.test", token);
  } catch (error) {
    return {
      ok: false,
      line: `Slack: cannot reach ${root} (${
        reason(error)
      }). Fix: check the network or slack.api_root (SLACK_API_ROOT).`,
    };
  }
  if (!auth.ok) {
    return {
      ok: false,
      line: `Slack: the bot token was rejected (${auth.error}). Fix: copy the Bot User OAuth ` +
        "Token (xoxb-…) into SLACK_BOT_TOKEN.",
    };
  }
  if (mode === "socket") {
    if (!appToken) {
      return { ok: false, line: "Slack: Socket Mode needs SLACK_APP_TOKEN (xapp-…)." };
    }
    const open = await call("apps.connections.open", appToken).catch((error) => ({
      ok: false,
      error: reason(error),
    }));
    if (!open.ok) {
      return {
        ok: false,
        line: `Slack: the app-level token was rejected (${open.error}). Fix: turn on Socket ` +
          "Mode and put an app-level token with connections:write into SLACK_APP_TOKEN.",
      };
    }
  }
  return { ok: true, line: `Slack: the tokens belong to @${auth.user} in ${auth.team} (${mode}).` };
}

/** The Discord bot token is accepted (`GET /users/@me`). */
export async function checkDiscord(resolved: ResolvedConfig): Promise<CheckResult> {
  const { bot_token: token, api_root: apiRoot } = resolved.config.discord;
  if (!token) {
    return { ok: null, line: "Discord: not configured (set DISCORD_BOT_TOKEN to enable it)." };
  }
  const root = apiRoot.replace(/\/+$/, "");
  let response: Response;
  try {
    response = await fetch(`${root}/v10/users/@me`, {
      headers: { authorization: `Bot ${token}` },
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
  } catch (error) {
    return {
      ok: false,
      line: `Discord: cannot reach ${root} (${
        reason(error)
      }). Fix: check the network or discord.api_root (DISCORD_API_ROOT).`,
    };
  }
  const body = await response.json().catch(() => undefined) as { username?: string } | undefined;
  if (response.status === 401) {
    return {
      ok: false,
      line: "Discord: the bot token was rejected. Fix: reset the token in the Developer Portal " +
        "(Bot → Reset Token) and put it in DISCORD_BOT_TOKEN.",
    };
  }
  if (!response.ok) {
    return {
      ok: false,
      line: `Discord: /users/@me failed (HTTP ${response.status}). Fix: check DISCORD_BOT_TOKEN ` +
        "and discord.api_root.",
    };
  }
  return { ok: true, line: `Discord: the token belongs to @${body?.username ?? "?"}.` };
}
