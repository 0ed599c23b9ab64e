import assert from "node:assert/strict";
import { checkExposure, type ExposureConfig } from "../../../server/mod.ts";

const base: ExposureConfig = {
  host: "127.0.0.1",
  port: 8642,
  auth: true,
  allowed_hosts: [],
  cors_origins: [],
};
const KEYS = ["k".repeat(8) + "7f3a9c1e"];

Deno.test("a loopback bind needs no warning", () => {
  assert.equal(checkExposure(base, KEYS), null);
  assert.equal(checkExposure({ ...base, host: "localhost" }, KEYS), null);
  assert.equal(checkExposure({ ...base, host: "::1" }, KEYS), null);
});

Deno.test("a non-loopback bind warns and names the active protections", () => {
  const warning = checkExposure(
    { ...base, host: "0.0.0.0", allowed_hosts: ["herald.lan"], cors_origins: ["https://a.b"] },
    [...KEYS, "second-key-1234567890"],
  );
  assert.ok(warning);
  assert.match(warning, /0\.0\.0\.0:8642/);
  assert.match(warning, /2 API keys/);
  assert.match(warning, /herald\.lan/);
  assert.match(warning, /https:\/\/a\.b/);
  assert.ok(!warning.includes(KEYS[0]), "the warning must not print keys");
});

Deno.test("a non-loopback bind without restrictions says so", () => {
  const warning = checkExposure({ ...base, host: "192.168.1.20" }, KEYS)!;
  assert.match(warning, /1 API key,/);
  assert.match(warning, /any Host header/);
  assert.match(warning, /no browser origins/);
});

Deno.test("auth switched off on a non-loopback bind refuses to start", () => {
  assert.throws(
    () => checkExposure({ ...base, host: "0.0.0.0", auth: false }, KEYS),
    /Refusing to start: api_server\.auth is false/,
  );
  assert.equal(checkExposure({ ...base, auth: false }, []), null);
});

Deno.test("a non-loopback bind without any key refuses to start", () => {
  assert.throws(() => checkExposure({ ...base, host: "0.0.0.0" }, []), /no API key/);
});
