/**
 * Herald under a real terminal, launched the way users launch it (`deno task`, which doubles a
 * Ctrl-C: the terminal signals the whole process group and the task runner forwards its copy).
 * Chat: history recall with ↑, one Ctrl-C stops an answer and keeps the chat, Ctrl-D leaves, the
 * history file is owner-only. Serve: one Ctrl-C starts the graceful drain, not the hard exit.
 * (The kernel merges two SIGINTs that are both pending, so the doubled copy does not reach the
 * process on every run; tests/server/signals_test.ts covers the echo window deterministically.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { freePort } from "./herald_process.ts";
import { PtyProcess } from "./pty.ts";

const DENO_JSON = new URL("../../deno.json", import.meta.url).pathname;
// Launched from the checkout, as `deno task start` is: that is where the task runner doubles
// a Ctrl-C.
const CHECKOUT = new URL("../../", import.meta.url).pathname;

function baseEnv(home: string, llm: FakeLlm): Record<string, string> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? home,
    HERALD_HOME: home,
    HERALD_WORKSPACE: home,
    OPENAI_BASE_URL: llm.baseUrl,
    HERALD_MODEL: "fake-model",
    DENO_NO_UPDATE_CHECK: "1",
  };
  const denoDir = Deno.env.get("DENO_DIR");
  if (denoDir) env.DENO_DIR = denoDir;
  return env;
}

Deno.test("chat in a terminal: ↑ recalls history, one Ctrl-C stops an answer, Ctrl-D leaves", async () => {
  await using llm = await FakeLlm.start();
  const home = await Deno.makeTempDir({ prefix: "herald_pty_" });
  try {
    await using chat = PtyProcess.start(
      [Deno.execPath(), "task", "--quiet", "--config", DENO_JSON, "herald", "chat"],
      { cwd: CHECKOUT, env: baseEnv(home, llm) },
    );
    await chat.waitFor(/› /);
    await chat.type("first question\r");
    await chat.waitFor(/echo: first question/);

    // ↑ brings back the last input; Enter sends it again.
    let mark = chat.text.length;
    await chat.type("\x1b[A\r");
    await chat.waitFor(/echo: first question/, mark);
    const lastUser = (index: number) =>
      llm.requests[index].body.messages.filter((m) => m.role === "user").at(-1)?.content;
    assert.equal(lastUser(1), "first question");

    // A long answer (it stalls, so it is still running whatever the machine's speed); one Ctrl-C
    // stops it and the chat stays.
    llm.enqueue({ text: "x".repeat(2000), stallAfterChunks: 5 });
    mark = chat.text.length;
    await chat.type("write a lot\r");
    await chat.waitFor(/xxxx/, mark);
    await chat.type("\x03");
    await chat.waitFor(/\(interrupted\)/, mark);
    mark = chat.text.length;
    await chat.type("still there?\r");
    await chat.waitFor(/echo: still there\?/, mark);

    // Ctrl-D at an empty prompt leaves cleanly.
    await chat.type("\x04");
    const status = await chat.status();
    assert.equal(status.code, 0, chat.text);

    const history = join(home, "chat_history");
    const saved = await Deno.readTextFile(history);
    assert.match(saved, /first question\n/);
    assert.match(saved, /still there\?\n$/);
    assert.equal((await Deno.stat(history)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("serve under deno task: one Ctrl-C drains gracefully instead of exiting at once", async () => {
  await using llm = await FakeLlm.start({
    // Stalls after a few chunks: the turn is still running when the Ctrl-C arrives.
    responder: () => ({ text: "y".repeat(400), stallAfterChunks: 5 }),
  });
  const home = await Deno.makeTempDir({ prefix: "herald_pty_" });
  try {
    const port = freePort();
    await Deno.writeTextFile(join(home, "config.yaml"), "api_server:\n  shutdown_grace: 0.3\n");
    await using serve = PtyProcess.start(
      [Deno.execPath(), "task", "--quiet", "--config", DENO_JSON, "start", "--port", String(port)],
      { cwd: CHECKOUT, env: { ...baseEnv(home, llm), API_SERVER_KEY: "pty-9c41f7a2b85d3e60" } },
    );
    await serve.waitFor(/API\s+http:\/\//);
    const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      headers: { Authorization: "Bearer pty-9c41f7a2b85d3e60", "Content-Type": "application/json" },
      body: JSON.stringify({
        model: "herald",
        stream: true,
        messages: [{ role: "user", content: "go" }],
      }),
    });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let streamed = "";
    while (!streamed.includes("yyyy")) streamed += (await reader.read()).value ?? "";

    await serve.type("\x03");
    await serve.waitFor(/Shutting down: waiting up to 0.3 s for 1 running turn/);
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      streamed += value;
    }
    const status = await serve.status();
    assert.equal(status.code, 0, serve.text);
    assert.doesNotMatch(serve.text, /Second signal/);
    assert.match(streamed, /shutting_down/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("chat in a terminal asks before a tool call: y runs it, n denies it", async () => {
  await using llm = await FakeLlm.start();
  const home = await Deno.makeTempDir({ prefix: "herald_pty_" });
  try {
    const call = (text: string) => ({
      toolCalls: [{ name: "terminal", arguments: JSON.stringify({ command: `echo ${text}` }) }],
    });
    llm.enqueue(call("approved-ran"), { text: "ran it" }, call("never-ran"), {
      text: "ok, not run",
    });
    await using chat = PtyProcess.start(
      [Deno.execPath(), "task", "--quiet", "--config", DENO_JSON, "herald", "chat"],
      { cwd: CHECKOUT, env: { ...baseEnv(home, llm), HERALD_APPROVALS_CLI: "always" } },
    );
    await chat.waitFor(/› /);
    await chat.type("first\r");
    await chat.waitFor(/⚠ terminal: echo approved-ran/);
    await chat.waitFor(/Run it\? \[y\]es, \[n\]o, \[a\]lways in this chat: /);
    await chat.type("y\r");
    await chat.waitFor(/✓ approved/);
    await chat.waitFor(/ran it/);
    const toolResult = llm.requests[1].body.messages.find((m) => m.role === "tool");
    assert.match(String(toolResult?.content), /approved-ran/);

    let mark = chat.text.length;
    await chat.type("second\r");
    await chat.waitFor(/⚠ terminal: echo never-ran/, mark);
    mark = chat.text.length;
    await chat.type("n\r");
    await chat.waitFor(/✗ denied/, mark);
    await chat.waitFor(/ok, not run/, mark);
    const denied = llm.requests[3].body.messages.filter((m) => m.role === "tool").at(-1);
    assert.doesNotMatch(String(denied?.content), /^never-ran/);

    await chat.type("\x04");
    assert.equal((await chat.status()).code, 0, chat.text);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
