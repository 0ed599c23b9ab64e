import { assert, assertEquals } from "./_assert.ts";
import { join } from "node:path";
import type { AgentEvent, AgentTurn, TurnResult } from "../../agent/mod.ts";
import { type ChatRuntime, runChat } from "../../cli/chat.ts";
import { BufferWriter, type CliIo } from "../../cli/mod.ts";
import { loadConfig } from "../../config/mod.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { runHerald, withTempHome } from "./_run.ts";

function upstreamEnv(llm: FakeLlm): Record<string, string> {
  return { OPENAI_BASE_URL: llm.baseUrl, HERALD_MODEL: "fake-model" };
}

Deno.test("chat -q prints the answer alone on stdout and exits 0", async () => {
  await using llm = await FakeLlm.start();
  await withTempHome(async (home) => {
    const run = await runHerald(["chat", "-q", "hello there"], { home, env: upstreamEnv(llm) });
    assertEquals(run.code, 0, run.stderr);
    assertEquals(run.stdout, "echo: hello there\n");
    assertEquals(llm.requests.length, 1);
  });
});

Deno.test("chat -q shows tool progress on stderr while the tool runs", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue(
    { toolCalls: [{ name: "terminal", arguments: JSON.stringify({ command: "echo from-tool" }) }] },
    { text: "The tool said from-tool." },
  );
  await withTempHome(async (home) => {
    const run = await runHerald(["chat", "-q", "run it"], { home, env: upstreamEnv(llm) });
    assertEquals(run.code, 0, run.stderr);
    assertEquals(run.stdout, "The tool said from-tool.\n");
    assert(run.stderr.includes("⚙ terminal: echo from-tool"), run.stderr);
    const toolMessage = llm.requests[1].body.messages.find((message) => message.role === "tool");
    assert(String(toolMessage?.content).includes("from-tool"));
  });
});

Deno.test("chat -q exits non-zero with the error when the upstream fails", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue({ status: 400, errorMessage: "model is not loaded" });
  await withTempHome(async (home) => {
    await Deno.writeTextFile(join(home, "config.yaml"), "llm:\n  max_retries: 0\n");
    const run = await runHerald(["chat", "-q", "hello"], { home, env: upstreamEnv(llm) });
    assertEquals(run.code, 1);
    assertEquals(run.stdout, "");
    assert(run.stderr.startsWith("✗ "), run.stderr);
  });
});

Deno.test("chat -q with an empty question is a usage error", async () => {
  await withTempHome(async (home) => {
    const run = await runHerald(["chat", "-q", " "], { home });
    assertEquals(run.code, 2);
    assertEquals(run.stderr, "herald: The question given with -q is empty.\n");
  });
});

Deno.test("interactive chat keeps the conversation until /new", async () => {
  await using llm = await FakeLlm.start();
  await withTempHome(async (home) => {
    const run = await runHerald(["chat"], {
      home,
      env: upstreamEnv(llm),
      stdin: "first\nsecond\n/new\nthird\n/exit\n",
    });
    assertEquals(run.code, 0, run.stderr);
    assert(run.stdout.includes("echo: first\n"));
    assert(run.stdout.includes("echo: third\n"));
    assert(run.stdout.includes("Started a new conversation."));
    const texts = (index: number) =>
      llm.requests[index].body.messages.filter((m) => m.role !== "system").map((m) => m.content);
    assertEquals(texts(1), ["first", "echo: first", "second"]);
    assertEquals(texts(2), ["third"]);
  });
});

// An agent that streams one word and then waits until the turn is aborted.
function hangingRuntime(
  turns: AgentTurn[],
): ChatRuntime & { closed: boolean; started: Promise<void> } {
  const started = Promise.withResolvers<void>();
  return {
    closed: false,
    started: started.promise,
    agent: {
      async *run(turn: AgentTurn, options: { signal?: AbortSignal }): AsyncGenerator<AgentEvent> {
        turns.push(turn);
        started.resolve();
        yield { type: "text_delta", delta: "Working" };
        if (!options.signal?.aborted) {
          await new Promise((resolve) =>
            options.signal?.addEventListener("abort", resolve, { once: true })
          );
        }
        const result: TurnResult = {
          status: "interrupted",
          text: "Working",
          messages: [{ role: "assistant", content: "Working" }],
          usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
          finishReason: "stop",
          clientToolCalls: [],
          incompleteReason: "interrupted",
        };
        yield { type: "final", result };
      },
    },
    async close() {
      this.closed = true;
      await Promise.resolve();
    },
  };
}

function memoryIo(stdin = ""): CliIo & { stdout: BufferWriter; stderr: BufferWriter } {
  return {
    stdout: new BufferWriter(),
    stderr: new BufferWriter(),
    stdin: new Blob([stdin]).stream(),
    env: {},
    cwd: "/",
    color: false,
  };
}

Deno.test("Ctrl-C stops the running turn, and a second Ctrl-C leaves", async () => {
  await withTempHome(async (home) => {
    const resolved = await loadConfig({ env: { HERALD_HOME: home } });
    const turns: AgentTurn[] = [];
    const runtime = hangingRuntime(turns);
    const io = memoryIo();
    let interrupt: (() => void) | undefined;
    const exits: number[] = [];
    const running = runChat(resolved, io, {
      query: "long task",
      openRuntime: () => Promise.resolve(runtime),
      onInterrupt: (handler) => {
        interrupt = handler;
        return () => (interrupt = undefined);
      },
      exit: (code) => exits.push(code),
    });
    await runtime.started;
    interrupt?.();
    assertEquals(await running, 130);
    assertEquals(io.stdout.text, "Working\n");
    assert(io.stderr.text.includes("(interrupted)"));
    assertEquals(exits, [], "the first Ctrl-C only stops the turn");
    assertEquals(interrupt, undefined, "the handler is removed afterwards");
    assert(runtime.closed);
    assertEquals(turns[0].platform, "cli");
  });
});

Deno.test("Ctrl-C while no turn runs leaves at once", async () => {
  await withTempHome(async (home) => {
    const resolved = await loadConfig({ env: { HERALD_HOME: home } });
    const exits: number[] = [];
    let interrupt: (() => void) | undefined;
    const io = memoryIo("/exit\n");
    const code = await runChat(resolved, io, {
      openRuntime: () => Promise.resolve(hangingRuntime([])),
      onInterrupt: (handler) => {
        interrupt = handler;
        handler();
        return () => {};
      },
      exit: (code) => exits.push(code),
    });
    assert(interrupt);
    assertEquals(exits, [130]);
    assertEquals(code, 0);
  });
});

Deno.test("a runtime that cannot open is reported with exit 1", async () => {
  await withTempHome(async (home) => {
    const resolved = await loadConfig({ env: { HERALD_HOME: home } });
    const io = memoryIo();
    const code = await runChat(resolved, io, {
      query: "hi",
      openRuntime: () => Promise.reject(new Error("the database is locked")),
      onInterrupt: () => () => {},
    });
    assertEquals(code, 1);
    assertEquals(io.stderr.text, "Cannot start the agent: the database is locked\n");
  });
});
