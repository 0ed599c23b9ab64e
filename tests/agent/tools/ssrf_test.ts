import assert from "node:assert/strict";
import { checkUrlTarget, classifyAddress, SsrfError } from "../../../agent/mod.ts";

const REFUSED: [string, RegExp][] = [
  ["127.0.0.1", /loopback/],
  ["127.5.5.5", /loopback/],
  ["10.0.0.8", /private/],
  ["172.20.1.1", /private/],
  ["192.168.0.10", /private/],
  ["169.254.169.254", /cloud metadata/],
  ["169.254.1.1", /link-local/],
  ["100.100.100.100", /carrier-grade NAT/],
  ["0.0.0.0", /unspecified/],
  ["::1", /loopback/],
  ["::", /unspecified/],
  ["fe80::1%eth0", /link-local/],
  ["fd00:ec2::254", /unique-local/],
  ["::ffff:127.0.0.1", /loopback \(IPv4-mapped IPv6\)/],
  ["::ffff:a9fe:a9fe", /cloud metadata/],
  ["64:ff9b::10.0.0.1", /private/],
];

Deno.test("non-public addresses are classified with the reason", () => {
  for (const [address, reason] of REFUSED) {
    assert.match(classifyAddress(address) ?? "public", reason, address);
  }
});

Deno.test("public addresses pass", () => {
  for (const address of ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700:4700::1111"]) {
    assert.equal(classifyAddress(address), null, address);
  }
});

Deno.test("a host is refused when any of its addresses is private", async () => {
  const resolve = (host: string) =>
    Promise.resolve(host === "mixed.test" ? ["93.184.216.34", "10.1.1.1"] : ["93.184.216.34"]);
  await assert.rejects(
    checkUrlTarget(new URL("https://mixed.test/"), { resolve }),
    (e) => e instanceof SsrfError && /10\.1\.1\.1.*private/.test(e.message),
  );
  assert.deepEqual(await checkUrlTarget(new URL("https://ok.test/"), { resolve }), [
    "93.184.216.34",
  ]);
});

Deno.test("localhost and IP literals are checked without DNS", async () => {
  const resolve = () => Promise.reject(new Error("DNS must not be used"));
  for (
    const url of [
      "http://localhost:8080/",
      "http://api.localhost/",
      "http://[::1]/",
      "http://0x7f.1/",
    ]
  ) {
    await assert.rejects(checkUrlTarget(new URL(url), { resolve }), SsrfError, url);
  }
});
