/**
 * The test suite's fake Telegram Bot API, run as its own process for the memory benchmark.
 * Prints `listening <api root> <bot token>`.
 * Run: deno run -A bench/fake_bot_api_server.ts
 * @module
 */
import { FakeBotApi } from "../tests/fakes/fake_bot_api.ts";

if (import.meta.main) {
  const api = new FakeBotApi();
  console.log(`listening ${api.apiRoot} ${api.token}`);
  Deno.addSignalListener("SIGTERM", () => api.close().then(() => Deno.exit(0)));
}
