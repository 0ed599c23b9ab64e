/**
 * `herald chat` approvals: the question is a y / n / always prompt, answered by the next line
 * typed while the answer runs; `-q` cannot ask and denies, saying why.
 */
import { assert, assertEquals } from "./_assert.ts";
import { join } from "node:path";
import { runChat } from "../../cli/chat.ts";
import { BufferWriter, type CliIo } from "../../cli/mod.ts";
import { loadConfig } from "../../config/mod.ts";
import { openRuntime } from "../../gateway/mod.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { withTempHome } from "./_run.ts";

const WRITE = { name: "write_file", arguments: '{"path":"out.txt","content":"hello"}' };

/** An io whose stdin the test types into, line by line. */
function typedIo(): CliIo & {
  stdout: BufferWriter;
  stderr: BufferWriter;
  type(line: string): void;
  end(): void;
} {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  return {
    stdout: new BufferWriter(),
    stderr: new BufferWriter(),
    stdin: readable,
    env: {},
    cwd: "/",
    color: false,
    type: (line) => void writer.write(new TextEncoder().encode(`${line}\n`)),
    end: () => void writer.close(),
  };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

async function chatConfig(home: string, llm: FakeLlm) {
  const workspace = join(home, "workspace");
  await Deno.mkdir(workspace);
  return await loadConfig({
    env: {
      HERALD_HOME: home,
      HERALD_WORKSPACE: workspace,
      OPENAI_BASE_URL: llm.baseUrl,
      HERALD_MODEL: "fake-model",
      HERALD_APPROVALS_CLI: "always",
      HERALD_KV_PATH: ":memory:",
    },
    cwd: home,
  });
}

Deno.test("herald chat asks y/n/always; 'n reason' denies, 'y' runs, 'a' stops asking", async () => {
  await using llm = await FakeLlm.start();
  await withTempHome(async (home) => {
    const resolved = await chatConfig(home, llm);
    const out = join(resolved.workspace, "out.txt");
    const io = typedIo();
    llm.enqueue(
      { toolCalls: [WRITE] },
      { text: "Not written." },
      { toolCalls: [WRITE] },
      { text: "Written." },
      { toolCalls: [WRITE] },
      { text: "Written, always." },
      { toolCalls: [WRITE] },
      { text: "Written without asking." },
    );
    const running = runChat(resolved, io, {
      openRuntime: (r) => openRuntime(r),
      onInterrupt: () => () => {},
      exit: () => {},
    });
    const prompts = () => io.stdout.text.split("Allow? [y]es once / [n]o / [a]lways").length - 1;

    io.type("write hello to out.txt");
    await until(() => prompts() === 1);
    assert(io.stdout.text.includes("⚠ Herald wants to run write_file: out.txt"), io.stdout.text);
    io.type("n not now");
    await until(() => io.stdout.text.includes("Not written."));
    const denied = llm.requests[1].body.messages.findLast((m) => m.role === "tool");
    assert(String(denied?.content).includes("their reason: not now"), String(denied?.content));
    assertEquals(await Deno.stat(out).then(() => true, () => false), false);

    io.type("again");
    await until(() => prompts() === 2);
    io.type("y");
    await until(() => io.stdout.text.includes("Written."));
    assertEquals(await Deno.readTextFile(out), "hello");

    io.type("once more");
    await until(() => prompts() === 3);
    io.type("a");
    await until(() => io.stdout.text.includes("Written, always."));
    io.type("and again");
    await until(() => io.stdout.text.includes("Written without asking."));
    assertEquals(prompts(), 3);
    io.type("/exit");
    io.end();
    assertEquals(await running, 0);
  });
});

Deno.test("herald chat -q cannot ask: the call is denied and the reason printed", async () => {
  await using llm = await FakeLlm.start();
  await withTempHome(async (home) => {
    const resolved = await chatConfig(home, llm);
    const io = typedIo();
    llm.enqueue({ toolCalls: [WRITE] }, { text: "I could not write it." });
    const code = await runChat(resolved, io, {
      query: "write it",
      openRuntime: (r) => openRuntime(r),
      onInterrupt: () => () => {},
      exit: () => {},
    });
    assertEquals(code, 0);
    assert(io.stderr.text.includes("`herald chat -q` cannot ask"), io.stderr.text);
    assertEquals(io.stdout.text.trim().split("\n").at(-1), "I could not write it.");
    const tool = llm.requests[1].body.messages.findLast((m) => m.role === "tool");
    assert(String(tool?.content).startsWith("denied:"));
  });
});
