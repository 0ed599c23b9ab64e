import { assert, assertEquals } from "./_assert.ts";
import { join } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { runHerald, withTempHome } from "./_run.ts";

Deno.test("--version prints the version from deno.json", async () => {
  await withTempHome(async (home) => {
    const run = await runHerald(["--version"], { home });
    assertEquals(run, { code: 0, stdout: `herald ${denoJson.version}\n`, stderr: "" });
  });
});

Deno.test("--help lists every command; help COMMAND shows its options", async () => {
  await withTempHome(async (home) => {
    const overview = await runHerald(["--help"], { home });
    assertEquals(overview.code, 0);
    for (const command of ["serve", "chat", "config", "key", "doctor", "help", "version"]) {
      assert(overview.stdout.includes(`  ${command} `), command);
    }
    const chat = await runHerald(["help", "chat"], { home });
    assertEquals(chat.code, 0);
    assert(chat.stdout.startsWith("Usage: herald chat"));
    assert(chat.stdout.includes("-q, --query TEXT"));
    const flag = await runHerald(["key", "--help"], { home });
    assert(flag.stdout.includes("--rotate"));
  });
});

Deno.test("an unknown command or option exits 2 with a hint", async () => {
  await withTempHome(async (home) => {
    const command = await runHerald(["chta"], { home });
    assertEquals(command.code, 2);
    assertEquals(
      command.stderr,
      'herald: Unknown command "chta". Did you mean "chat"? Run `herald help` to see the commands.\n',
    );
    const option = await runHerald(["doctor", "--fix"], { home });
    assertEquals(option.code, 2);
    assertEquals(
      option.stderr,
      "herald: Unknown option --fix for herald doctor. Run `herald help doctor` for its options.\n",
    );
    const help = await runHerald(["help", "nope"], { home });
    assertEquals(help.code, 2);
  });
});

Deno.test("config check reports OK and the warnings", async () => {
  await withTempHome(async (home) => {
    await Deno.writeTextFile(join(home, "config.yaml"), "model:\n  name: m\n  colour: red\n");
    const run = await runHerald(["config", "check"], { home });
    assertEquals(run.code, 0);
    assertEquals(run.stdout, "configuration OK\n");
    assertEquals(
      run.stderr,
      `warning: Unknown key "model.colour" in ${join(home, "config.yaml")} is ignored.\n`,
    );
  });
});

Deno.test("config check with a bad value exits 2 with the exact line", async () => {
  await withTempHome(async (home) => {
    const run = await runHerald(["config", "check"], { home, env: { API_SERVER_PORT: "abc" } });
    assertEquals(run, {
      code: 2,
      stdout: "",
      stderr: 'api_server.port: expected a number, got "abc" (from API_SERVER_PORT)\n',
    });
  });
});

Deno.test("config check with invalid YAML exits 2 naming the file and line", async () => {
  await withTempHome(async (home) => {
    await Deno.writeTextFile(join(home, "broken.yaml"), "model:\n  name: [unclosed\n");
    const run = await runHerald(["config", "check", "--config", "broken.yaml"], { home });
    assertEquals(run.code, 2);
    assert(
      run.stderr.startsWith(`Cannot read config file ${join(home, "broken.yaml")}: line `),
      run.stderr,
    );
    assert(!run.stderr.includes("    at "), "no stack trace");
  });
});

Deno.test("config show prints the effective YAML with secrets masked", async () => {
  await withTempHome(async (home) => {
    await Deno.writeTextFile(join(home, ".env"), "OPENAI_API_KEY=sk-live-0123456789abcdef\n");
    const run = await runHerald(["config", "show", "--port", "9001"], {
      home,
      env: { TELEGRAM_BOT_TOKEN: "123456:ABCDEFGHIJKLMNOPQRS" },
    });
    assertEquals(run.code, 0);
    assert(run.stdout.includes("api_key: sk-l…cdef"), run.stdout);
    assert(run.stdout.includes("bot_token: 1234…PQRS"), run.stdout);
    assert(run.stdout.includes("port: 9001"), run.stdout);
    assert(run.stdout.includes("# upstream base URL: https://api.openai.com/v1"), run.stdout);
    assert(!run.stdout.includes("0123456789abcdef"));
    assert(!run.stdout.includes("ABCDEFGHIJKLMNOPQRS"));
  });
});

Deno.test("key generates a private key file once and then reuses it", async () => {
  await withTempHome(async (dir) => {
    const home = join(dir, "herald-home");
    const first = await runHerald(["key"], { home, cwd: dir });
    assertEquals(first.code, 0);
    const key = first.stdout.trim();
    assert(/^herald-[A-Za-z0-9_-]{43}$/.test(key), key);
    assertEquals(first.stderr, `Generated a new API key in ${join(home, "api_key")}.\n`);
    if (Deno.build.os !== "windows") {
      assertEquals((await Deno.stat(join(home, "api_key"))).mode! & 0o777, 0o600);
    }
    const second = await runHerald(["key"], { home, cwd: dir });
    assertEquals(second, { code: 0, stdout: `${key}\n`, stderr: "" });

    const rotated = await runHerald(["key", "--rotate"], { home, cwd: dir });
    assertEquals(rotated.code, 0);
    assert(rotated.stdout.trim() !== key);
    assertEquals((await Deno.readTextFile(join(home, "api_key"))).trim(), rotated.stdout.trim());
  });
});

Deno.test("key prints a configured key and refuses to rotate it", async () => {
  await withTempHome(async (home) => {
    const env = { API_SERVER_KEY: "k9F2-xQ7p-Lm3v-Zr8t" };
    const shown = await runHerald(["key"], { home, env });
    assertEquals(shown, { code: 0, stdout: "k9F2-xQ7p-Lm3v-Zr8t\n", stderr: "" });
    const rotate = await runHerald(["key", "--rotate"], { home, env });
    assertEquals(rotate.code, 1);
    assert(rotate.stderr.includes("api_server.key"));
  });
});

Deno.test("a weak configured key stops every command with exit 2", async () => {
  await withTempHome(async (home) => {
    const run = await runHerald(["key"], { home, env: { API_SERVER_KEY: "changeme" } });
    assertEquals(run.code, 2);
    assertEquals(
      run.stderr,
      "api_server.key: the key from API_SERVER_KEY is 8 characters long; use at least 16\n",
    );
  });
});
