/**
 * `herald audit`: prints the audit trail of tool calls from `$HERALD_HOME/audit/`, filtered by
 * tool and age, as aligned lines or raw JSON lines, and with `--follow` keeps printing calls as a
 * running gateway appends them.
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";
import {
  auditDir,
  type AuditFilter,
  type AuditRecord,
  followAuditTrail,
  readAuditTrail,
} from "../store/mod.ts";
import { UsageError } from "./args.ts";
import { type CliIo, styler } from "./io.ts";

/** What `herald audit` was asked. */
export interface AuditOptions {
  tool?: string;
  /** A duration (`30m`, `2h`, `7d`) or a date. */
  since?: string;
  json?: boolean;
  follow?: boolean;
  /** Stops `--follow` (tests); default: never, until the process is interrupted. */
  signal?: AbortSignal;
}

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 };

/**
 * The epoch ms a `--since` value means: `30m`, `2h`, `7d`, `1w` ago, or an ISO date.
 *
 * @throws {UsageError} for anything else.
 */
export function parseSince(value: string, now: number = Date.now()): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(value.trim());
  if (match) return now - Number(match[1]) * UNITS[match[2].toLowerCase()];
  const date = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(date)) return date;
  throw new UsageError(
    `--since takes a duration such as 30m, 2h, 7d or 1w, or a date such as 2026-12-01; got "${value}".`,
  );
}

/** Runs `herald audit` and returns the exit code. */
export async function runAudit(
  resolved: ResolvedConfig,
  io: CliIo,
  options: AuditOptions,
): Promise<number> {
  const filter: AuditFilter = {};
  if (options.tool) filter.tool = options.tool;
  if (options.since) filter.since = parseSince(options.since);
  const dir = auditDir(resolved.home);
  const print = (record: AuditRecord) =>
    io.stdout.write(
      (options.json ? JSON.stringify(record) : formatRecord(record, io.color)) + "\n",
    );
  const records = await readAuditTrail(dir, filter);
  for (const record of records) print(record);
  if (!options.follow) {
    if (records.length === 0 && !options.json) {
      io.stderr.write(
        resolved.config.audit.enabled
          ? `No tool calls recorded${describe(filter)} in ${dir}.\n`
          : `The audit trail is off (audit.enabled: false); nothing is recorded in ${dir}.\n`,
      );
    }
    return 0;
  }
  const signal = options.signal ?? new AbortController().signal;
  for await (const record of followAuditTrail(dir, { filter, signal })) print(record);
  return 0;
}

function describe(filter: AuditFilter): string {
  const parts = [];
  if (filter.tool) parts.push(` for ${filter.tool}`);
  if (filter.since) parts.push(` since ${new Date(filter.since).toISOString()}`);
  return parts.join("");
}

/**
 * One aligned line: time, tool, outcome, duration, front door and who, conversation, arguments.
 *
 * @example
 * ```ts
 * formatRecord(record, false);
 * // "2026-12-07 07:20:11  terminal      ok      12ms  api_server key:ci  conv-1  {"command":"ls"}"
 * ```
 */
export function formatRecord(record: AuditRecord, color: boolean): string {
  const style = styler(color);
  const args = typeof record.arguments === "string"
    ? record.arguments
    : JSON.stringify(record.arguments);
  const outcome = record.outcome === "ok"
    ? style.green("ok".padEnd(6))
    : style.red(record.outcome.padEnd(6));
  const who = [record.front_door, record.actor].filter(Boolean).join(" ");
  const parts = [
    style.dim(record.time.replace("T", " ").slice(0, 19)),
    record.tool.padEnd(12),
    outcome,
    `${record.duration_ms}ms`.padStart(7),
    who,
  ];
  if (record.conversation) parts.push(style.dim(record.conversation));
  parts.push(args.length > 300 ? `${args.slice(0, 299)}…` : args);
  const line = parts.join("  ");
  return record.error ? `${line}\n${" ".repeat(21)}${style.red(`✗ ${record.error}`)}` : line;
}
