/**
 * The committed web/assets.ts is what web/build.ts makes of web/app/ now: a change to the page's
 * sources without `deno task web:build` fails here.
 */
import assert from "node:assert/strict";
import { ASSETS_MODULE, assetsModule, buildAssets } from "../../web/build.ts";
import { WEB_ASSETS } from "../../web/mod.ts";

Deno.test("web/assets.ts is up to date with web/app/ (run `deno task web:build`)", async () => {
  const fresh = assetsModule(await buildAssets());
  const committed = await Deno.readTextFile(ASSETS_MODULE);
  assert.ok(
    fresh === committed,
    "web/assets.ts is stale: run `deno task web:build` and commit the result.",
  );
});

Deno.test("the built page loads only its own script and style sheet", () => {
  const page = WEB_ASSETS.find((a) => a.path === "/")!;
  const urls = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(urls.sort(), ["/web/app.css", "/web/app.js", "data:,"]);
  assert.ok(WEB_ASSETS.some((a) => a.path === "/web/app.js"));
  assert.ok(WEB_ASSETS.some((a) => a.path === "/web/app.css"));
});
