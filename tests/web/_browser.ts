/**
 * Browser tests of the web chat: Debian's Chromium, headless, driven by playwright-core, against
 * a real gateway (real HTTP, real KV) on the fake upstream. Without Chromium the tests are
 * ignored and say so in their names; `.ci/run` installs it.
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { startTestGateway, type TestGateway } from "../fakes/test_gateway.ts";

/** The Chromium binary: `HERALD_CHROMIUM`, else Debian's. */
export const CHROMIUM = Deno.env.get("HERALD_CHROMIUM") ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);

/** The key the test gateways accept. */
export const WEB_KEY = "web-test-5d2c8e1f9a4b7c03";

/** Where screenshots go (gitignored); a few are copied to docs/images/ by hand. */
export const ARTIFACTS = new URL("../artifacts/web/", import.meta.url).pathname;

/** Generous: the machine is shared and slow at times; Playwright waits for states, never sleeps. */
const WAIT_MS = 60_000;

/** Registers a browser test, ignored (with the reason in its name) when Chromium is missing. */
export function browserTest(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name: HAVE_CHROMIUM
      ? name
      : `${name} (ignored: no Chromium at ${CHROMIUM}; set HERALD_CHROMIUM)`,
    ignore: !HAVE_CHROMIUM,
    fn: async () => {
      try {
        await fn();
      } catch (error) {
        // What the page showed and logged, to tell a real fault from a slow machine.
        const slug = name.replace(/[^a-z0-9]+/gi, "-").toLowerCase().slice(0, 60);
        throw new Error(`${(error as Error).message}\n${await lastWords(slug)}`, { cause: error });
      } finally {
        opened.clear();
      }
    },
  });
}

/** What the running test's pages logged and last showed (taken as each chat closes). */
const opened = new Map<WebChat, { log: string[]; dom?: string; png?: Uint8Array }>();

async function lastWords(slug: string): Promise<string> {
  const lines: string[] = [];
  for (const { log, dom, png } of opened.values()) {
    if (png) {
      await Deno.mkdir(ARTIFACTS, { recursive: true });
      await Deno.writeFile(join(ARTIFACTS, `failed-${slug}.png`), png);
    }
    lines.push(`page log:\n${log.join("\n")}\npage:\n${(dom ?? "").slice(-4000)}`);
  }
  return lines.join("\n");
}

/** A gateway, its fake upstream and a browser page on the web chat. */
export interface WebChat {
  llm: FakeLlm;
  gateway: TestGateway;
  context: BrowserContext;
  page: Page;
  /** The gateway's base URL. */
  url: string;
  /** Saves a screenshot of the page as tests/artifacts/web/NAME.png. */
  screenshot(name: string): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options for {@link openWebChat}. */
export interface WebChatOptions {
  /** Extra config.yaml. */
  configYaml?: string;
  /** The viewport (default 1100×760). */
  viewport?: { width: number; height: number };
  /** The system colour scheme the browser reports (default light). */
  colorScheme?: "light" | "dark";
}

/** Starts the fake upstream, a gateway and Chromium (fresh profile), and opens `/`. */
export async function openWebChat(options: WebChatOptions = {}): Promise<WebChat> {
  const llm = await FakeLlm.start();
  const gateway = await startTestGateway({
    upstream: llm.baseUrl,
    key: WEB_KEY,
    configYaml: options.configYaml,
  });
  const profile = await Deno.makeTempDir({ prefix: "herald_chromium_" });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: options.viewport ?? { width: 1100, height: 760 },
      colorScheme: options.colorScheme ?? "light",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
  } catch (error) {
    await gateway.close();
    await llm.close();
    await Deno.remove(profile, { recursive: true });
    throw error;
  }
  context.setDefaultTimeout(WAIT_MS);
  const page = context.pages()[0] ?? await context.newPage();
  const log: string[] = [];
  page.on("console", (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => log.push(`failed: ${r.method()} ${r.url()}`));
  page.on("response", (r) => log.push(`${r.status()} ${r.request().method()} ${r.url()}`));
  const url = gateway.gateway.url;
  await page.goto(`${url}/`);
  const chat: WebChat = {
    llm,
    gateway,
    context,
    page,
    url,
    async screenshot(name) {
      await Deno.mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
    },
    async [Symbol.asyncDispose]() {
      // Kept for the failure report, should the test be failing.
      const last = opened.get(chat);
      if (last) {
        last.dom = await page.locator("body").innerHTML({ timeout: 5000 }).catch(() => "");
        last.png = await page.screenshot({ timeout: 5000 }).catch(() => undefined);
      }
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      await gateway.close();
      await llm.close();
    },
  };
  opened.set(chat, { log });
  return chat;
}

/** Signs in with the test key (ticking "remember" when asked) and waits for the chat. */
export async function signIn(page: Page, remember = false): Promise<void> {
  await page.getByLabel("API key").fill(WEB_KEY);
  if (remember) await page.getByLabel("Remember the key in this browser").check();
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Message", { exact: true }).waitFor();
}

/** Types a message and sends it with Enter. */
export async function sendMessage(page: Page, text: string): Promise<void> {
  const box = page.getByLabel("Message", { exact: true });
  await box.fill(text);
  await box.press("Enter");
}

/** A promise with its resolve function, for pausing the fake upstream. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => open = resolve);
  return { promise, open };
}
