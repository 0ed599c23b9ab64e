/**
 * The audit trail end to end: a real `herald chat -q` turn with two tool calls writes two records
 * (secrets masked in the file itself), and `herald audit` reads them back, filtered and as JSON.
 */
import { assert, assertEquals } from "./_assert.ts";
import { join } from "node:path";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { runHerald, withTempHome } from "./_run.ts";

const SECRET = "sk-proj-abcdefghijklmnopqrstuvwx";

Deno.test("a turn with two tool calls leaves two masked records that herald audit reads", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue(
    {
      toolCalls: [
        {
          name: "terminal",
          arguments: JSON.stringify({
            command: `echo one && curl -s -H 'Authorization: Bearer ${SECRET}' http://127.0.0.1:9`,
          }),
        },
        { name: "read_file", arguments: JSON.stringify({ path: "missing.txt" }) },
      ],
    },
    { text: "Done." },
  );
  await withTempHome(async (home) => {
    const env = { OPENAI_BASE_URL: llm.baseUrl, HERALD_MODEL: "fake-model" };
    const run = await runHerald(["chat", "-q", "run both"], { home, env });
    assertEquals(run.code, 0, run.stderr);

    const file = join(home, "audit", "audit.jsonl");
    const raw = await Deno.readTextFile(file);
    assert(!raw.includes(SECRET), "the secret is masked in the file itself");
    assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);

    const json = await runHerald(["audit", "--json"], { home });
    assertEquals(json.code, 0, json.stderr);
    const records = json.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assertEquals(records.map((r) => r.tool), ["terminal", "read_file"]);
    assertEquals(records[0].front_door, "cli");
    assertEquals(records[0].outcome, "ok");
    assert(String(records[0].arguments.command).includes("Bearer [redacted]"));
    assertEquals(records[1].outcome, "error");
    assert(records[1].error, "a failed call records its error");
    assert(records.every((r) => typeof r.duration_ms === "number" && r.conversation));
    assert(records.every((r) => !Number.isNaN(Date.parse(r.time))));

    const onlyTerminal = await runHerald(["audit", "--tool", "terminal", "--since", "1h"], {
      home,
    });
    assertEquals(onlyTerminal.code, 0, onlyTerminal.stderr);
    const lines = onlyTerminal.stdout.trim().split("\n");
    assertEquals(lines.length, 1);
    assert(lines[0].includes("terminal") && lines[0].includes("ok"), lines[0]);

    const bad = await runHerald(["audit", "--since", "yesterday"], { home });
    assertEquals(bad.code, 2);
    assert(bad.stderr.includes("--since takes a duration such as 30m"), bad.stderr);
  });
});
