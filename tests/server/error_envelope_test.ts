import assert from "node:assert/strict";
import { AgentError, failedResult, UpstreamError } from "../../agent/mod.ts";
import {
  errorResponse,
  SHUTDOWN_RETRY_AFTER_SECONDS,
  STATUS_BY_CODE,
  turnError,
} from "../../server/mod.ts";
import { ConversationConflictError } from "../../store/mod.ts";

function failedTurnResponse(code: string): Response {
  return errorResponse(turnError(failedResult({ code, message: "The gateway shut down." })));
}

Deno.test("the agent's codes map to their HTTP statuses in one table", async () => {
  const cases: [Error, number, string][] = [
    [new UpstreamError("slow", { code: "upstream_timeout" }), 504, "upstream_timeout"],
    [new UpstreamError("gone", { code: "upstream_unreachable" }), 503, "upstream_unreachable"],
    [new UpstreamError("429", { code: "upstream_rate_limited" }), 503, "upstream_rate_limited"],
    [new UpstreamError("500", { upstreamStatus: 500 }), 502, "upstream_error"],
    [new AgentError("broken"), 500, "agent_error"],
  ];
  for (const [error, status, code] of cases) {
    const res = errorResponse(error);
    assert.equal(res.status, status, code);
    assert.equal(STATUS_BY_CODE[code], status);
    const body = await res.json();
    assert.equal(body.error.code, code);
    assert.equal(body.error.message, error.message);
  }
});

Deno.test("a conversation conflict is a 409, not a 500", async () => {
  const res = errorResponse(new ConversationConflictError("c1"));
  assert.equal(res.status, 409);
  const body = await res.json();
  assert.equal(body.error.code, "conversation_conflict");
  assert.match(body.error.message, /conversation 'c1' was advanced by another process/);
});

Deno.test("a turn cut off by shutdown is one code with one Retry-After", async () => {
  const res = failedTurnResponse("shutting_down");
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), String(SHUTDOWN_RETRY_AFTER_SECONDS));
  assert.equal((await res.json()).error.code, "shutting_down");
});

Deno.test("an unknown error is a generic 500 that leaks nothing", async () => {
  const res = errorResponse(new Error("password=hunter2"));
  assert.equal(res.status, 500);
  const body = await res.json();
  assert.equal(body.error.code, "internal_error");
  assert.ok(!JSON.stringify(body).includes("hunter2"));
});

Deno.test("an upstream refusal of the request is the client's 400, naming the parameter", async () => {
  const error = new UpstreamError("refused because of parameter 'seed'", {
    code: "upstream_rejected_request",
    request: { param: "seed", code: "unsupported_parameter" },
  });
  const direct = errorResponse(error);
  const viaTurn = errorResponse(turnError(failedResult(error, "")));
  for (const res of [direct, viaTurn]) {
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.type, "invalid_request_error");
    assert.equal(body.error.param, "seed");
    assert.equal(body.error.code, "unsupported_parameter");
  }
});
