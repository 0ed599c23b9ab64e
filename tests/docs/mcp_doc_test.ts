/**
 * The configuration example in docs/mcp.md (the ```yaml block after `<!-- config -->`) is valid
 * configuration.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { ConfigSchema } from "../../config/mod.ts";

Deno.test("docs/mcp.md's mcp_servers example passes the configuration schema", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/mcp.md", import.meta.url));
  const block = doc.split("<!-- config -->")[1]?.match(/```yaml\n([\s\S]*?)```/)?.[1];
  assert.ok(block, "no yaml block after <!-- config -->");
  const parsed = ConfigSchema.safeParse(parse(block));
  assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  assert.deepEqual(Object.keys(parsed.data.mcp_servers), ["memory", "github", "playwright"]);
});
