/**
 * Slack: the adapter the platform host starts (settings, hosts, the signed HTTP route), the
 * worker that talks to Slack (platforms/slack/worker.ts, started by the host by URL), and its
 * formatting pieces.
 * @module
 */
export { slackSpec, verifySlackRequest } from "./adapter.ts";
export { escapeMrkdwn, markdownToMrkdwn, slackTextToMarkdown } from "./mrkdwn.ts";
export { SlackSettingsSchema } from "./protocol.ts";
export type { SlackSettings } from "./protocol.ts";
