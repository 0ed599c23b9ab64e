import assert from "node:assert/strict";
import { Router } from "../../server/router.ts";
import { isValidAuthority } from "../../server/request_target.ts";
import { hostAcceptor } from "../../server/guards/mod.ts";

const ok = () => new Response("ok");

Deno.test("the router gives the same answers on repeated requests, fixed paths and parameters alike", () => {
  const router = new Router().add(
    { method: "GET", path: "/v1/responses/:id", handler: ok },
    { method: "POST", path: "/v1/responses", handler: ok },
    { method: "POST", path: "/v1/responses/compact", handler: ok },
  );
  for (let i = 0; i < 3; i++) {
    const fixed = router.match("POST", "/v1/responses/compact");
    assert.equal(fixed.kind === "found" && fixed.route.path, "/v1/responses/compact");
    assert.deepEqual(fixed.kind === "found" && fixed.params, {});
    const param = router.match("GET", "/v1/responses/resp_1");
    assert.deepEqual(param.kind === "found" && param.params, { id: "resp_1" });
    // A GET on the fixed path is the parameter route's, with the segment as its id.
    const byId = router.match("GET", "/v1/responses/compact");
    assert.deepEqual(byId.kind === "found" && byId.params, { id: "compact" });
    // The literal pattern is a parameter value like any other.
    const literal = router.match("GET", "/v1/responses/:id");
    assert.deepEqual(literal.kind === "found" && literal.params, { id: ":id" });
    assert.deepEqual(router.match("DELETE", "/v1/responses"), {
      kind: "method_not_allowed",
      allow: ["POST"],
    });
    assert.equal(router.match("HEAD", "/v1/responses").kind, "method_not_allowed");
    assert.equal(router.match("POST", "/v1//responses").kind, "found");
  }
  // Each answer has its own params: changing one leaves the next request's alone.
  const first = router.match("POST", "/v1/responses");
  if (first.kind === "found") first.params.x = "changed";
  assert.deepEqual((router.match("POST", "/v1/responses") as { params: object }).params, {});
  // Routes added later are found too.
  router.add({ method: "DELETE", path: "/v1/responses", handler: ok });
  assert.equal(router.match("DELETE", "/v1/responses").kind, "found");
});

Deno.test("Host checks answer the same for a value seen before and refuse a bad one after a good one", () => {
  for (let i = 0; i < 2; i++) {
    assert.equal(isValidAuthority("localhost:8642"), true);
    assert.equal(isValidAuthority("localhost:99999"), false);
    assert.equal(isValidAuthority("evil@localhost"), false);
    assert.equal(isValidAuthority("[::1]:80"), true);
  }
  const accepts = hostAcceptor(["herald.lan:443"]);
  for (let i = 0; i < 2; i++) {
    assert.equal(accepts("localhost:8642"), true);
    assert.equal(accepts("evil.example"), false);
    assert.equal(accepts("herald.lan:443"), true);
    assert.equal(accepts("herald.lan:80"), false);
  }
});
