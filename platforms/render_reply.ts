/**
 * One turn rendered as a chat reply, the same on every platform: the live reply (ReplyEditor),
 * the tool progress message (ToolProgress), approval questions asked and settled where the
 * reply is, and the end (the final text, a notice when the turn failed). A platform brings its
 * message calls, its text handling and how it asks a question with buttons.
 * @module
 */
import type { ApprovalDecision, ApprovalRequest, TurnResult } from "../agent/mod.ts";
import type { ReplyToMode, StreamingSettings } from "./protocol.ts";
import { renderTurn } from "./render_turn.ts";
import {
  type MessageId,
  ReplyEditor,
  type ReplyFormat,
  type ReplySurface,
} from "./stream_editor.ts";
import { ToolProgress, type ToolProgressMode } from "./tool_progress.ts";

/** Where and how a reply is rendered; `Q` is what identifies an asked question on the platform. */
export interface ReplyTarget<Q> {
  api: ReplySurface;
  format: ReplyFormat;
  streaming: StreamingSettings;
  replyToMode: ReplyToMode;
  /** The user's message the reply answers. */
  replyToMessageId?: MessageId;
  toolProgress: ToolProgressMode | "off";
  /** Asks an approval question with its buttons; undefined when it could not be asked. */
  ask(approval: ApprovalRequest): Promise<Q | undefined>;
  /** Shows under an asked question how it ended, and takes its buttons away. */
  settle(question: Q, decision: ApprovalDecision): Promise<void>;
  /** The turn ended (stop the typing indicator); the reply's last messages follow. */
  onFinal?(): void;
  log(line: string): void;
}

/**
 * Renders the turn arriving on `port` as a reply.
 *
 * @example
 * ```ts
 * await renderReply(port, { api, format, streaming, replyToMode, toolProgress: "new",
 *   ask: (approval) => postQuestion(approval), settle: (q, d) => editQuestion(q, d), log });
 * ```
 */
export async function renderReply<Q>(port: MessagePort, target: ReplyTarget<Q>): Promise<void> {
  const { api, format, streaming, log } = target;
  const editor = new ReplyEditor({
    api,
    format,
    streaming: streaming.enabled,
    editIntervalMs: streaming.editIntervalMs,
    minTokens: streaming.minTokens,
    replyToMode: target.replyToMode,
    replyToMessageId: target.replyToMessageId,
    log,
  });
  const progress = target.toolProgress === "off" ? undefined : new ToolProgress({
    api,
    format,
    mode: target.toolProgress,
    intervalMs: streaming.editIntervalMs,
    log,
  });
  /** Approval id → the question asking it. */
  const asked = new Map<string, Q>();
  try {
    await renderTurn(port, {
      text: (delta) => editor.append(delta),
      segmentBreak: () => editor.segmentBreak(),
      toolStarted: (name) => progress?.add(name),
      approval: async (event) => {
        if (event.type === "approval_requested") {
          // The question comes below what was said so far.
          await editor.segmentBreak();
          const question = await target.ask(event.approval);
          if (question !== undefined) asked.set(event.approval.id, question);
          return;
        }
        const question = asked.get(event.approval.id);
        if (question !== undefined) await target.settle(question, event.decision);
      },
      final: async (result) => {
        target.onFinal?.();
        await finishReply(result, editor, progress);
      },
    }, (line) => log(`${format.label}: ${line}`));
  } finally {
    // A turn whose channel closed without a final still stops updating its progress.
    await progress?.close();
  }
}

/**
 * Ends a turn's messages: the tool progress message shows its last state, the reply its final
 * text, and a failed turn says why in a notice after it.
 */
export async function finishReply(
  result: TurnResult,
  editor: ReplyEditor,
  progress?: ToolProgress,
): Promise<void> {
  await progress?.close();
  await editor.finish(result.text);
  if (result.status === "failed") {
    await editor.notice(`Sorry, the reply failed: ${result.error?.message ?? "unknown error"}`);
  }
}
