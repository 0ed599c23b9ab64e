import { assert } from "./_assert.ts";
import { renderConfigReference } from "../../config/mod.ts";
import { listConfigLeaves } from "../../config/mod.ts";

const committed = await Deno.readTextFile(new URL("../../docs/configuration.md", import.meta.url));

Deno.test("docs/configuration.md names every key and environment variable of the schema", () => {
  const missing: string[] = [];
  for (const leaf of listConfigLeaves()) {
    if (!committed.includes(`\`${leaf.key}\``)) missing.push(leaf.key);
    for (const name of leaf.env) if (!committed.includes(`\`${name}\``)) missing.push(name);
  }
  assert(
    missing.length === 0,
    `docs/configuration.md is stale; regenerate it with deno task docs:config. Missing: ${
      missing.join(", ")
    }`,
  );
});

// deno fmt pads Markdown tables; compare with runs of spaces and dashes folded.
function normalise(markdown: string): string {
  return markdown.split("\n").map((line) =>
    line.trim().replace(/ +/g, " ").replace(/-{3,}/g, "---")
  )
    .join("\n");
}

Deno.test("docs/configuration.md holds the reference as generated from the schema", () => {
  assert(
    normalise(committed).includes(normalise(renderConfigReference())),
    "docs/configuration.md is stale; regenerate it with deno task docs:config",
  );
});

Deno.test("the reference has a row per leaf with its default", () => {
  const reference = renderConfigReference();
  assert(reference.includes("| `api_server.port` | integer | `API_SERVER_PORT` | `8642` |"));
  assert(reference.includes("`HERALD_MODEL`, `LLM_MODEL`, `HERMES_MODEL`"));
});
