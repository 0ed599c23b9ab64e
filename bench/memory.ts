/**
 * Idle resident memory of the gateway process, without and with the Telegram worker (against
 * the fake Bot API in its own process).
 * @module
 */
import { rssMb, startBotApi, startGateway } from "./processes.ts";
import { round } from "./stats.ts";

/** Idle RSS figures in MB. */
export interface MemoryResult {
  idle_rss_mb: number;
  idle_rss_with_telegram_mb: number;
}

/** Measures idle RSS `settleMs` after the gateway answered (and, with Telegram, connected). */
export async function benchMemory(upstream: string, settleMs: number): Promise<MemoryResult> {
  const plain = await startGateway({ upstream });
  let idle: number;
  try {
    await new Promise((r) => setTimeout(r, settleMs));
    idle = rssMb(plain.child.pid);
  } finally {
    await plain.close();
  }

  const api = await startBotApi();
  try {
    const withBot = await startGateway({
      upstream,
      env: {
        TELEGRAM_BOT_TOKEN: api.token,
        TELEGRAM_API_ROOT: api.apiRoot,
        TELEGRAM_ALLOWED_USERS: "42",
      },
    });
    try {
      await withBot.child.waitForLine(/Telegram: connected as/);
      await new Promise((r) => setTimeout(r, settleMs));
      return {
        idle_rss_mb: round(idle, 1),
        idle_rss_with_telegram_mb: round(rssMb(withBot.child.pid), 1),
      };
    } finally {
      await withBot.close();
    }
  } finally {
    await api.child.stop();
  }
}
