import assert from "node:assert/strict";
import { join } from "node:path";
import OpenAI from "openai";
import { TEST_KEY } from "../../fakes/test_server.ts";

const gateway = new URL("./fixtures/gateway.ts", import.meta.url).pathname;

/** Starts a gateway child on the KV file and resolves with its client once it listens. */
async function startGateway(path: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", gateway, path],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!/url (\S+)\n/.test(seen)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`gateway exited early: ${seen}`);
    seen += value;
  }
  const url = seen.match(/url (\S+)\n/)![1];
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
  const kill = async () => {
    child.kill("SIGKILL");
    await reader.cancel();
    await child.status;
  };
  return { client, kill };
}

Deno.test("stored responses survive kill -9 and chains continue after a restart", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "herald.kv");
  try {
    const first = await startGateway(path);
    let a: OpenAI.Responses.Response, bg: OpenAI.Responses.Response;
    try {
      a = await first.client.responses.create({ model: "h", input: "before", conversation: "c" });
      bg = await first.client.responses.create({ model: "h", input: "hang", background: true });
    } finally {
      await first.kill();
    }
    const second = await startGateway(path);
    try {
      const got = await second.client.responses.retrieve(a.id);
      assert.equal(got.output_text, "echo: before");
      const b = await second.client.responses.create({
        model: "h",
        input: "after",
        previous_response_id: a.id,
      });
      assert.equal(b.output_text, "echo: after");
      const c = await second.client.responses.create({
        model: "h",
        input: "named",
        conversation: "c",
      });
      assert.equal(c.previous_response_id, a.id);
      const interrupted = await second.client.responses.retrieve(bg.id);
      assert.equal(interrupted.status, "failed");
      assert.equal(interrupted.error?.code, "server_restarted");
    } finally {
      await second.kill();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
