/**
 * The bare-proxy baseline: the least a Deno HTTP proxy can do in front of the fake upstream —
 * `Deno.serve`, read the request body, one `fetch` to the upstream, and the upstream's response
 * (body stream and all) handed back as it is. No auth, no parsing, no logging. Every gateway
 * figure in `deno task bench` is reported as a ratio to this, measured in the same run, so what
 * Herald costs on top of Deno's own HTTP server and client is what the ratios show.
 * Run: deno run -A --unstable-no-legacy-abort bench/bare_proxy_server.ts --upstream http://127.0.0.1:PORT/v1 [--port N]
 * — prints `listening <port>`; `/v1/...` is forwarded to the upstream base URL.
 * @module
 */

/** Forwards `req` to `upstreamBase` (ending in /v1) and returns the upstream's response. */
export async function forward(req: Request, upstreamBase: string): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname.startsWith("/v1/") ? url.pathname.slice(3) : url.pathname;
  const headers = new Headers();
  const type = req.headers.get("content-type");
  if (type) headers.set("content-type", type);
  const auth = req.headers.get("authorization");
  if (auth) headers.set("authorization", auth);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return await fetch(upstreamBase + path + url.search, {
    method: req.method,
    headers,
    body: hasBody ? await req.arrayBuffer() : undefined,
    signal: req.signal,
  });
}

if (import.meta.main) {
  const flag = (name: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Deno.args[i + 1] : undefined;
  };
  const upstream = flag("--upstream");
  if (!upstream) {
    console.error("usage: bare_proxy_server.ts --upstream http://127.0.0.1:PORT/v1 [--port N]");
    Deno.exit(2);
  }
  const base = upstream.replace(/\/+$/, "");
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: Number(flag("--port") ?? 0), onListen: () => {} },
    (req) => forward(req, base),
  );
  console.log(`listening ${server.addr.port}`);
  Deno.addSignalListener("SIGTERM", () => server.shutdown().then(() => Deno.exit(0)));
}
