/**
 * Approvals: some tool calls need a person's yes before they run. Each tool classifies its own
 * calls (`Tool.classify`: is this call dangerous, and why); the policy of the front door the turn
 * came through decides whether to ask (`never`, `dangerous`, `always`); the front door asks, through
 * the {@link TurnApprovals} it hands the agent. The agent knows neither KV nor HTTP: a front door
 * that answers in a later request (the HTTP API) returns "defer", and the turn ends with the call
 * pending; the next request brings the answer as `AgentTurn.approvalDecisions`.
 * @module
 */
import type { ToolCall } from "./messages.ts";

/** When a front door asks before a tool call runs. */
export type ApprovalMode = "never" | "dangerous" | "always";

/** Every approval mode, in order of how much they ask. */
export const APPROVAL_MODES = ["never", "dangerous", "always"] as const;

/** How a tool classifies one of its calls. */
export interface ToolCallRisk {
  /** True when the call should be approved under the `dangerous` policy. */
  dangerous: boolean;
  /** Why, in words a person deciding can act on (shown with the request). */
  reason?: string;
}

/** A call waiting for a person's answer. */
export interface ApprovalRequest {
  /** The approval's id (`mcpr_…`): the Responses API's `mcp_approval_request` id. */
  id: string;
  /** The call it is about, as the model made it. */
  call: ToolCall;
  /** Where the tool comes from (`herald`, an MCP server's label). */
  origin: string;
  /** Why approval is needed (the tool's reason, or the policy's). */
  reason: string;
}

/** A person's answer. */
export interface ApprovalDecision {
  approved: boolean;
  /** The person's reason (denials especially), passed to the model. */
  reason?: string;
  /** Approve this tool for the rest of the conversation (Telegram's "Always for this chat"). */
  always?: boolean;
  /** The approval answered, when it differs from the call id the decision is filed under. */
  approvalId?: string;
}

/** What a front door hands the agent for one turn. */
export interface TurnApprovals {
  /** The front door's policy. */
  mode: ApprovalMode;
  /**
   * What the client itself asked for on this tool (a Responses `mcp` tool's `require_approval`):
   * "always" asks even when the policy would not; "never" cannot lower the policy.
   */
  clientRequirement?(origin: string, name: string): "always" | "never" | null;
  /** True when the person already allowed this tool for the conversation ("always"). */
  isGranted?(name: string): boolean | Promise<boolean>;
  /**
   * Asks. Resolves with the answer, or "defer" when the answer comes with a later request (the
   * turn then ends with the call pending). An aborted signal must settle it (as a denial).
   */
  ask(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalDecision | "defer">;
}

/** Whether a call must be approved before it runs. */
export function approvalNeeded(input: {
  mode: ApprovalMode;
  readOnly: boolean;
  risk: ToolCallRisk;
  client: "always" | "never" | null;
  granted: boolean;
}): boolean {
  if (input.client === "always") return true;
  if (input.granted) return false;
  if (input.mode === "always") return !input.readOnly;
  if (input.mode === "dangerous") return input.risk.dangerous;
  return false;
}

/** The reason shown when the policy, not the tool, asks. */
export function policyReason(mode: ApprovalMode, client: "always" | "never" | null): string {
  if (client === "always") return "the client asked to approve every call of this tool";
  if (mode === "always") return "the approval policy asks before every call that changes something";
  return "the approval policy asks before this call";
}

/** The tool result the model gets for a denied call. */
export function deniedResult(reason?: string): string {
  return `denied: the user did not approve this call${
    reason ? ` (their reason: ${reason})` : ""
  }. It was not run. Do not retry it in another form; ask the user how to proceed.`;
}

/** A new approval id. */
export function newApprovalId(): string {
  return `mcpr_${crypto.randomUUID().replaceAll("-", "")}`;
}
