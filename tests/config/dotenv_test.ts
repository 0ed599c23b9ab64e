import { assertEquals } from "./_assert.ts";
import { parseDotenv } from "../../config/mod.ts";

Deno.test(".env lines with export, quotes and comments are read", () => {
  const text = [
    "# a comment",
    "",
    "PLAIN=value",
    "export EXPORTED=yes",
    "SPACED = padded value  # trailing comment",
    'DOUBLE="has # hash and \\"quotes\\"\\nnewline"',
    "SINGLE='literal \\n $HOME'",
    "EMPTY=",
    "URL=http://x/#fragment",
  ].join("\n");
  assertEquals(parseDotenv(text), {
    values: {
      PLAIN: "value",
      EXPORTED: "yes",
      SPACED: "padded value",
      DOUBLE: 'has # hash and "quotes"\nnewline',
      SINGLE: "literal \\n $HOME",
      EMPTY: "",
      URL: "http://x/#fragment",
    },
    warnings: [],
  });
});

Deno.test("a double-quoted .env value may span lines", () => {
  assertEquals(parseDotenv('KEY="one\ntwo"\nNEXT=3').values, { KEY: "one\ntwo", NEXT: "3" });
});

Deno.test("malformed .env lines are reported and skipped", () => {
  const result = parseDotenv('GOOD=1\nnot a pair\n1BAD=2\nOPEN="never closed\n');
  assertEquals(result.values, { GOOD: "1" });
  assertEquals(result.warnings, [
    "line 2: expected KEY=VALUE",
    "line 3: expected KEY=VALUE",
    "line 4: the quoted value of OPEN is never closed",
  ]);
});

Deno.test("Windows line endings and a byte-order mark are handled", () => {
  assertEquals(parseDotenv("\uFEFFA=1\r\nB=2\r\n").values, { A: "1", B: "2" });
});
