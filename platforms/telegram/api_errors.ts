/**
 * Sorts Bot API failures into what the renderer must do about them. Works on grammY's
 * `GrammyError` and on anything shaped like it (`error_code`, `description`, `parameters`).
 * @module
 */

/** What a failed Bot API call means for the renderer. */
export type ApiFailure =
  | { kind: "not_modified" }
  | { kind: "flood"; retryAfterSeconds: number }
  | { kind: "parse" }
  | { kind: "thread_not_found" }
  | { kind: "other"; message: string };

/** Classifies a failed Bot API call. */
export function classifyApiError(error: unknown): ApiFailure {
  const e = error as {
    error_code?: number;
    description?: string;
    parameters?: { retry_after?: number };
    message?: string;
  };
  const description = (e?.description ?? e?.message ?? String(error)).toLowerCase();
  if (description.includes("message is not modified")) return { kind: "not_modified" };
  if (e?.error_code === 429 || e?.parameters?.retry_after !== undefined) {
    return { kind: "flood", retryAfterSeconds: e?.parameters?.retry_after ?? 1 };
  }
  if (description.includes("message thread not found")) return { kind: "thread_not_found" };
  if (description.includes("can't parse entities") || description.includes("can't find end")) {
    return { kind: "parse" };
  }
  return { kind: "other", message: e?.description ?? e?.message ?? String(error) };
}
