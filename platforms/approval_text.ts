/**
 * The text of an approval question, shared by the platforms that ask with buttons.
 * @module
 */

/** The text of an approval question: what will run, and why it is asked. */
export function approvalText(
  approval: { reason: string; call: { function: { name: string; arguments: string } } },
): string {
  let shown = approval.call.function.arguments;
  try {
    const args = JSON.parse(shown);
    if (typeof args?.command === "string") shown = args.command;
    else if (typeof args?.path === "string") shown = args.path;
  } catch {
    // Shown as sent.
  }
  if (shown.length > 3000) shown = `${shown.slice(0, 3000)}…`;
  return `⚠️ Approval needed: ${approval.call.function.name}\n\n${shown}\n\nWhy: ${approval.reason}.`;
}

/** The question's text once decided: the question, and how it ended under it. */
export function settledApprovalText(
  question: string,
  decision: { approved: boolean; reason?: string },
): string {
  const outcome = decision.approved
    ? "✅ Allowed."
    : `❌ Denied${decision.reason ? ` (${decision.reason})` : ""}.`;
  return `${question}\n\n${outcome}`;
}
