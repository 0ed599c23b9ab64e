/**
 * How a Responses turn ends, whatever the mode (plain, streamed, background): the final status
 * and the final state stored.
 * @module
 */
import type { TurnResult } from "../../agent/mod.ts";
import type { ResponseItem, ResponseObject } from "../../store/mod.ts";
import type { TurnRunner } from "../../agent/mod.ts";
import { approvingRunner } from "../approvals.ts";
import type { ResponsesDeps } from "./deps.ts";
import type { FinalStatus } from "./emitter.ts";
import type { PreparedTurn } from "./prepare.ts";

/**
 * Maps how the agent's turn ended to the Response status. An aborted run is never
 * `completed`: the SDK the agent streams through can end an aborted stream quietly.
 */
export function finalStatus(result: TurnResult, cancelled: boolean, aborted: boolean): FinalStatus {
  if (cancelled) return "cancelled";
  if (result.status === "failed") return "failed";
  if (result.status === "completed" && !aborted) return "completed";
  if (result.status === "completed") result.incompleteReason ??= "interrupted";
  return "incomplete";
}

/**
 * The runner for the prepared turn. With approvals on, calls needing one are deferred: the turn
 * ends with them pending, and they are stored (and, for clients that did not declare Herald's
 * `mcp` tool, asked in words) before the final event.
 */
export function turnRunner(prepared: PreparedTurn, deps: ResponsesDeps): TurnRunner {
  if (!deps.approvals || !prepared.approvals) return deps.agent;
  return approvingRunner(deps.agent, prepared.approvals, {
    store: deps.approvals.store,
    scope: prepared.scope,
    text: !prepared.approvalItems,
    meta: { response_id: prepared.id },
  });
}

/** Stores the final state (unless `store: false`). */
export async function save(
  prepared: PreparedTurn,
  deps: ResponsesDeps,
  response: ResponseObject,
  active = false,
): Promise<void> {
  if (prepared.log && !active && response.status !== "failed") {
    const output = (response.output as ResponseItem[] | undefined) ?? [];
    await deps.store.conversations.append(prepared.log, [...prepared.input, ...output]);
  }
  if (!prepared.store) return;
  await deps.store.save({
    response,
    input: prepared.localParent ? [...prepared.history, ...prepared.input] : prepared.input,
    parent: prepared.parent,
    conversation: active ? null : prepared.conversation,
    active,
  });
  // After a conversation turn is stored, the next one must check against the new head.
  if (prepared.conversation && !active) {
    prepared.conversation.expected = await deps.store.conversationHead(prepared.conversation.name);
  }
}
