import assert from "node:assert/strict";
import { ToolRegistry } from "../../../agent/mod.ts";
import { webFetchTool, type WebFetchToolOptions } from "../../../agent/mod.ts";
import { testConfig, toolContext } from "./helpers.ts";

/** A real HTTP server on 127.0.0.1 for the duration of `body`. */
async function withServer(
  handler: (request: Request, port: number) => Response | Promise<Response>,
  body: (port: number) => Promise<void>,
): Promise<void> {
  let port = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => handler(request, port),
  );
  port = server.addr.port;
  try {
    await body(port);
  } finally {
    await server.shutdown();
  }
}

function fetcher(config: Record<string, unknown> = {}, options: WebFetchToolOptions = {}) {
  const registry = new ToolRegistry().register(
    webFetchTool(testConfig(config).tools.web_fetch, options),
  );
  return (url: string) => registry.call("web_fetch", JSON.stringify({ url }), toolContext("/tmp"));
}

const allowPrivate = { tools: { web_fetch: { allow_private: true } } };

Deno.test("web_fetch turns an HTML page into Markdown-like text", async () => {
  await withServer(
    () =>
      new Response(
        "<html><head><title>T</title><script>x()</script></head><body><h1>Hello</h1>" +
          '<p>See <a href="/more">more</a>.</p></body></html>',
        { headers: { "content-type": "text/html; charset=utf-8" } },
      ),
    async (port) => {
      const result = await fetcher(allowPrivate)(`http://127.0.0.1:${port}/page`);
      assert.equal(result.isError, false);
      assert.match(result.output, /^URL: http:\/\/127\.0\.0\.1:\d+\/page\nStatus: 200/);
      assert.match(result.output, /^# Hello$/m);
      assert.match(
        result.output,
        new RegExp(`See \\[more\\]\\(http://127\\.0\\.0\\.1:${port}/more\\)`),
      );
      assert.doesNotMatch(result.output, /x\(\)/);
    },
  );
});

Deno.test("web_fetch refuses a loopback URL unless allow_private is set", async () => {
  let hits = 0;
  await withServer(
    () => {
      hits++;
      return new Response("internal");
    },
    async (port) => {
      const result = await fetcher()(`http://127.0.0.1:${port}/`);
      assert.equal(result.isError, true);
      assert.match(result.output, /Refusing to fetch .*loopback/);
      assert.equal(hits, 0, "the server must not be contacted");
    },
  );
});

Deno.test("web_fetch refuses the cloud metadata address and hosts resolving to private ranges", async () => {
  const fetch = fetcher({}, { resolve: () => Promise.resolve(["10.0.0.5"]) });
  assert.match((await fetch("http://169.254.169.254/latest/meta-data/")).output, /cloud metadata/);
  assert.match((await fetch("http://intranet.test/")).output, /10\.0\.0\.5, a private/);
});

Deno.test("web_fetch re-checks redirects and refuses one to loopback", async () => {
  await withServer(
    (request, port) => {
      const path = new URL(request.url).pathname;
      if (path === "/start") {
        return new Response(null, {
          status: 302,
          headers: { location: `http://127.0.0.1:${port}/internal` },
        });
      }
      return new Response("internal data");
    },
    async (port) => {
      // The first hop goes to a trusted test name (pinned to the server's address); the
      // redirect it answers with points at 127.0.0.1 and must be refused.
      const fetch = fetcher({}, {
        resolve: () => Promise.resolve(["127.0.0.1"]),
        trustedHosts: ["fixture.test"],
      });
      const result = await fetch(`http://fixture.test:${port}/start`);
      assert.equal(result.isError, true);
      assert.match(result.output, /Refusing to fetch http:\/\/127\.0\.0\.1:\d+: .*loopback/);
      assert.doesNotMatch(result.output, /internal data/);
    },
  );
});

Deno.test("web_fetch follows redirects between allowed hosts, sending the name as Host", async () => {
  await withServer(
    (request) => {
      const url = new URL(request.url);
      if (url.pathname === "/a") return Response.redirect(`http://fixture.test:${url.port}/b`, 301);
      return new Response(`host=${request.headers.get("host")}`);
    },
    async (port) => {
      const fetch = fetcher({}, {
        resolve: () => Promise.resolve(["127.0.0.1"]),
        trustedHosts: ["fixture.test"],
      });
      const result = await fetch(`http://fixture.test:${port}/a`);
      assert.equal(result.isError, false, result.output);
      assert.match(result.output, new RegExp(`URL: http://fixture\\.test:${port}/b`));
      assert.match(result.output, new RegExp(`host=fixture\\.test:${port}`));
    },
  );
});

Deno.test("web_fetch stops after five redirects", async () => {
  await withServer(
    (request) => Response.redirect(new URL("/again", request.url), 302),
    async (port) => {
      const result = await fetcher(allowPrivate)(`http://127.0.0.1:${port}/`);
      assert.equal(result.isError, true);
      assert.match(result.output, /Stopped after 5 redirects/);
    },
  );
});

Deno.test("web_fetch reads at most max_bytes and says so", async () => {
  await withServer(
    () => new Response("a".repeat(50_000), { headers: { "content-type": "text/plain" } }),
    async (port) => {
      const config = { tools: { web_fetch: { allow_private: true, max_bytes: 1000 } } };
      const result = await fetcher(config)(`http://127.0.0.1:${port}/`);
      assert.match(result.output, /\n\na{1000}\n\n\[the page was larger than 1000 bytes/);
    },
  );
});

Deno.test("web_fetch refuses binary content and non-http schemes", async () => {
  await withServer(
    () =>
      new Response(new Uint8Array([137, 80, 78, 71]), { headers: { "content-type": "image/png" } }),
    async (port) => {
      const result = await fetcher(allowPrivate)(`http://127.0.0.1:${port}/img.png`);
      assert.equal(result.isError, true);
      assert.match(result.output, /image\/png content, which is not text/);
    },
  );
  const file = await fetcher(allowPrivate)("file:///etc/passwd");
  assert.match(file.output, /only http and https URLs are allowed/);
});

Deno.test("web_fetch gives up after tools.web_fetch.timeout", async () => {
  const never = Promise.withResolvers<void>();
  await withServer(
    async () => {
      await never.promise;
      return new Response("late");
    },
    async (port) => {
      const config = { tools: { web_fetch: { allow_private: true, timeout: 0.2 } } };
      const result = await fetcher(config)(`http://127.0.0.1:${port}/slow`);
      never.resolve();
      assert.equal(result.isError, true);
      assert.match(result.output, /took longer than 0\.2 s/);
    },
  );
});

Deno.test("web_fetch refuses loopback and metadata hosts in every numeric spelling", async () => {
  const fetch = fetcher({}, { resolve: () => Promise.reject(new Error("DNS must not be used")) });
  for (
    const url of [
      "http://169.254.169.254/latest/meta-data/",
      "http://[::1]/",
      "http://0x7f000001/",
      "http://127.1/",
      "http://2130706433/",
      "http://0177.0.0.1/",
      "http://2852039166/",
      "http://[::ffff:7f00:1]/",
      "http://[::ffff:169.254.169.254]/",
      "http://0.0.0.0/",
      "http://127.0.0.1.nip.io.localhost/",
    ]
  ) {
    const result = await fetch(url);
    assert.equal(result.isError, true, url);
    assert.match(result.output, /Refusing to fetch/, url);
  }
});
