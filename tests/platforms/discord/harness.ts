/**
 * Test harness for the Discord adapter: the fake Discord (REST + Gateway) under the shared worker
 * harness (../harness.ts).
 * @module
 */
import { discordSpec } from "../../../platforms/mod.ts";
import { FakeDiscord } from "../../fakes/fake_discord.ts";
import {
  type CommonHarnessOptions,
  type Script,
  startWorkerHarness,
  type WorkerHarness,
} from "../harness.ts";

/** A running Discord adapter with its fakes. */
export interface DiscordHarness extends WorkerHarness {
  discord: FakeDiscord;
}

/** Starts the Discord adapter against a fresh fake Discord and waits until it is connected. */
export async function startDiscordHarness(
  script: Script,
  options: CommonHarnessOptions & {
    discord?: Record<string, unknown>;
    /** A fake Discord to use and leave open; default a new one. */
    fake?: FakeDiscord;
  } = {},
): Promise<DiscordHarness> {
  const discord = options.fake ?? new FakeDiscord();
  const harness = await startWorkerHarness(script, {
    spec: discordSpec,
    config: {
      discord: {
        bot_token: discord.token,
        api_root: discord.apiRoot,
        allowed_users: ["42"],
        ...options.discord,
      },
    },
    closeFake: options.fake ? undefined : () => discord.close(),
  }, options);
  return Object.assign(harness, { discord });
}
