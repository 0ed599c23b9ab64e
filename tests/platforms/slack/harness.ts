/**
 * Test harness for the Slack adapter: the fake Slack (Web API + Socket Mode) under the shared
 * worker harness (../harness.ts).
 * @module
 */
import { slackSpec } from "../../../platforms/mod.ts";
import { FakeSlack } from "../../fakes/fake_slack.ts";
import {
  type CommonHarnessOptions,
  type Script,
  startWorkerHarness,
  type WorkerHarness,
} from "../harness.ts";

/** A running Slack adapter with its fakes. */
export interface SlackHarness extends WorkerHarness {
  slack: FakeSlack;
}

/** Starts the Slack adapter against a fresh fake Slack and waits until it is connected. */
export async function startSlackHarness(
  script: Script,
  options: CommonHarnessOptions & {
    slack?: Record<string, unknown>;
    /** A fake Slack to use and leave open; default a new one. */
    fake?: FakeSlack;
  } = {},
): Promise<SlackHarness> {
  const slack = options.fake ?? new FakeSlack();
  const harness = await startWorkerHarness(script, {
    spec: slackSpec,
    config: {
      slack: {
        bot_token: slack.botToken,
        app_token: slack.appToken,
        api_root: slack.apiRoot,
        allowed_users: ["U42"],
        ...options.slack,
      },
    },
    closeFake: options.fake ? undefined : () => slack.close(),
  }, options);
  return Object.assign(harness, { slack });
}
