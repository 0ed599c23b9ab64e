/**
 * SIGTERM against the real `main.ts serve` process while Chat Completions and Responses streams
 * are open: the clients get a clean end, the process exits 0, and the stored responses survive a
 * restart as `incomplete` and can be chained on. A second signal exits at once.
 */
import assert from "node:assert/strict";
import { SIGNAL_ECHO_WINDOW_MS } from "../../server/signals.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { E2E_HEADERS, HeraldProcess, readUntil } from "./herald_process.ts";

const GRACE_SECONDS = 0.3;
/** The bound of every "this must happen": against a hang, not a claim about speed. */
const HANG_MS = 120_000;
// A stream that stalls after a few chunks and never ends on its own: shutdown has to cut it short.
const SLOW = { text: "x".repeat(800), stallAfterChunks: 5 };

function openChatStream(url: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: E2E_HEADERS,
    body: JSON.stringify({
      model: "herald",
      stream: true,
      messages: [{ role: "user", content: "write a lot" }],
    }),
  });
}

function openResponsesStream(url: string): Promise<Response> {
  return fetch(`${url}/v1/responses`, {
    method: "POST",
    headers: E2E_HEADERS,
    body: JSON.stringify({ model: "herald", stream: true, store: true, input: "write a lot" }),
  });
}

/** The `data:` payloads of an SSE text, in order. */
function dataLines(text: string): string[] {
  return text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
}

/** Rejects after `ms`: a generous bound for "this must happen", never a timing assertion. */
async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("SIGTERM ends open streams cleanly, exits 0, and stored responses survive a restart", async () => {
  await using llm = await FakeLlm.start({ responder: () => SLOW });
  const configYaml = `api_server:\n  shutdown_grace: ${GRACE_SECONDS}\n`;
  const first = await HeraldProcess.start(llm.baseUrl, { configYaml });
  const home = first.home;
  try {
    const [chatRes, respRes] = await Promise.all([
      openChatStream(first.url),
      openResponsesStream(first.url),
    ]);
    assert.equal(chatRes.status, 200);
    assert.equal(respRes.status, 200);
    // A non-streamed chat request waiting for its whole answer, too.
    const plain = fetch(`${first.url}/v1/chat/completions`, {
      method: "POST",
      headers: E2E_HEADERS,
      body: JSON.stringify({ model: "herald", messages: [{ role: "user", content: "more" }] }),
    });
    // All three runs are producing text before the signal.
    const chat = await readUntil(chatRes, "xxxx");
    const resp = await readUntil(respRes, "response.output_text.delta");
    await llm.waitForRequests(3);
    const responseId = /"id":"(resp_[^"]+)"/.exec(resp.text)?.[1];
    assert.ok(responseId, "the stream named its response id");

    first.signal("SIGTERM");
    // The grace is 0.3 s; the bound is only against hanging, never a timing.
    const [chatText, respText] = await bounded(
      Promise.all([chat.rest(), resp.rest()]),
      HANG_MS,
      "streams ending after SIGTERM",
    );

    // Chat: content so far, then one error chunk saying why, then [DONE] — no finish_reason
    // "stop", which would pass a cut-off answer off as complete.
    const chatData = dataLines(chatText);
    assert.equal(chatData.at(-1), "[DONE]");
    const last = JSON.parse(chatData.at(-2)!);
    assert.equal(last.error?.code, "shutting_down", chatData.at(-2));
    assert.ok(!chatText.includes('"finish_reason":"stop"'), "no stop finish for a cut answer");

    // The non-streamed request gets a 503 it can retry, not a cut-off answer passed off as whole.
    const plainRes = await bounded(plain, HANG_MS, "the non-streamed answer after SIGTERM");
    assert.equal(plainRes.status, 503);
    // Retryable: the openai SDK honours x-should-retry, so it must not say "false" here.
    assert.ok(plainRes.headers.get("retry-after"));
    assert.notEqual(plainRes.headers.get("x-should-retry"), "false");
    assert.equal((await plainRes.json()).error.code, "shutting_down");

    // Responses: a terminal event, then [DONE].
    assert.match(respText, /event: response\.incomplete\n/);
    assert.equal(dataLines(respText).at(-1), "[DONE]");

    const status = await bounded(first.status(), HANG_MS, "exit after SIGTERM");
    assert.equal(status.code, 0, first.stderr);
    assert.match(first.stdout, /aborting 3 turn/);

    // Restart on the same home: the response is stored, incomplete, and chainable.
    await using second = await HeraldProcess.start(llm.baseUrl, { home, configYaml });
    const got = await fetch(`${second.url}/v1/responses/${responseId}`, { headers: E2E_HEADERS });
    assert.equal(got.status, 200);
    const stored = await got.json();
    assert.equal(stored.status, "incomplete");
    assert.equal(stored.incomplete_details?.reason, "interrupted");
    const partial: string = stored.output[0].content[0].text;
    assert.match(partial, /^x+$/);

    llm.respondWith(() => ({ text: "continued" }));
    const before = llm.requests.length;
    const chained = await fetch(`${second.url}/v1/responses`, {
      method: "POST",
      headers: E2E_HEADERS,
      body: JSON.stringify({ model: "herald", input: "go on", previous_response_id: responseId }),
    });
    assert.equal(chained.status, 200);
    const next = await chained.json();
    assert.equal(next.status, "completed");
    assert.equal(next.output_text ?? next.output[0].content[0].text, "continued");
    // The upstream saw the interrupted exchange as history.
    const history = llm.requests[before].body.messages;
    assert.ok(history.some((m) => m.role === "user" && m.content === "write a lot"));
    assert.ok(history.some((m) => m.role === "assistant" && m.content === partial));
  } finally {
    await first.kill();
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
});

Deno.test("a second SIGTERM exits at once with a non-zero code", async () => {
  await using llm = await FakeLlm.start({ responder: () => SLOW });
  // A grace far longer than the test: only the second signal can end the process in time.
  await using herald = await HeraldProcess.start(llm.baseUrl, {
    configYaml: "api_server:\n  shutdown_grace: 300\n",
  });
  const res = await openChatStream(herald.url);
  const stream = await readUntil(res, "xxxx");
  const ended = stream.rest().catch(() => "");

  herald.signal("SIGTERM");
  assert.ok(await herald.waitFor(() => /waiting up to 300 s/.test(herald.stdout)), herald.stdout);
  // A deliberate second signal comes after the echo window (server/signals.ts), not within it.
  await new Promise((resolve) => setTimeout(resolve, SIGNAL_ECHO_WINDOW_MS + 200));
  herald.signal("SIGTERM");
  const status = await bounded(herald.status(), HANG_MS, "exit after the second SIGTERM");
  assert.notEqual(status.code, 0);
  assert.match(herald.stdout, /Second signal: exiting now/);
  await ended;
});
