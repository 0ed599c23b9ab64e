/**
 * The web chat's conversations, model picker, attachments and small-screen layout in a real
 * browser against a real gateway.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { browserTest, gate, openWebChat, sendMessage, signIn, WEB_KEY } from "./_browser.ts";

/** A 1×1 PNG. */
const PIXEL = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

browserTest(
  "web chat: conversations are listed newest first, open, rename and delete",
  async () => {
    await using chat = await openWebChat();
    const { page, llm } = chat;
    await signIn(page);
    llm.enqueue({ text: "About cats." }, { text: "About dogs." });
    await sendMessage(page, "Tell me about cats");
    await page.getByText("About cats.").waitFor();
    await page.getByRole("button", { name: "Send" }).waitFor();
    await page.getByRole("button", { name: "New chat" }).click();
    await page.locator("#messages .msg").first().waitFor({ state: "detached" });
    await sendMessage(page, "Tell me about dogs");
    await page.getByText("About dogs.").waitFor();
    await page.getByRole("button", { name: "Send" }).waitFor();

    // A fresh load lists both from the API, the most recently active first.
    await page.goto(`${chat.url}/`);
    await signIn(page);
    const rows = page.locator("#conversations .open");
    await rows.nth(1).waitFor();
    assert.deepEqual(await rows.allInnerTexts(), ["Tell me about dogs", "Tell me about cats"]);

    // Open the older one: its history comes back from the store.
    await rows.nth(1).click();
    await page.locator(".msg.assistant", { hasText: "About cats." }).waitFor();
    assert.equal(await page.locator("#title").innerText(), "Tell me about cats");

    // A new turn in it makes it the most recently active: it moves to the top.
    llm.enqueue({ text: "More about cats." });
    await sendMessage(page, "More please");
    await page.getByText("More about cats.").waitFor();
    await page.locator("#conversations li").first().getByText("Tell me about cats").waitFor();

    // Rename it (metadata.title): the list and the title follow.
    page.once("dialog", (dialog) => dialog.accept("Cats, mostly"));
    await page.getByRole("button", { name: "Rename Tell me about cats" }).click();
    await page.getByRole("button", { name: "Cats, mostly", exact: true }).waitFor();
    await page.locator("#title", { hasText: "Cats, mostly" }).waitFor();
    await chat.screenshot("conversations");

    // Delete it: it leaves the list and the chat starts afresh.
    page.once("dialog", (dialog) => dialog.accept());
    await page.getByRole("button", { name: "Delete Cats, mostly" }).click();
    await page.getByRole("button", { name: "Cats, mostly", exact: true }).waitFor({
      state: "detached",
    });
    await page.locator("#title", { hasText: "New chat" }).waitFor();
    await page.goto(`${chat.url}/`);
    await signIn(page);
    await rows.first().waitFor();
    assert.deepEqual(await rows.allInnerTexts(), ["Tell me about dogs"]);
  },
);

browserTest(
  "web chat: the model picker lists /v1/models and the turn runs on the one picked",
  async () => {
    await using chat = await openWebChat({
      configYaml: "models:\n  herald-fast: { model: fast-model }\n",
    });
    const { page, llm } = chat;
    await signIn(page);
    const picker = page.getByLabel("Model");
    assert.deepEqual(await picker.locator("option").allInnerTexts(), ["herald", "herald-fast"]);
    await picker.selectOption("herald-fast");
    llm.enqueue({ text: "Quick answer." });
    await sendMessage(page, "Be quick");
    await page.getByText("Quick answer.").waitFor();
    assert.equal(llm.requests.at(-1)!.body.model, "fast-model");
  },
);

browserTest(
  "web chat: an attached image is sent as an input_image and shown in the message",
  async () => {
    await using chat = await openWebChat();
    const { page, llm } = chat;
    await signIn(page);
    await page.locator("#file").setInputFiles({
      name: "pixel.png",
      mimeType: "image/png",
      buffer: PIXEL,
    });
    await page.getByRole("button", { name: "Remove pixel.png" }).waitFor();
    llm.enqueue({ text: "A single pixel." });
    await sendMessage(page, "What is this?");
    await page.getByText("A single pixel.").waitFor();
    await page.locator(".msg.user img").waitFor();
    const content = llm.requests.at(-1)!.body.messages.at(-1).content as {
      type: string;
      image_url?: { url: string };
    }[];
    const image = content.find((p) => p.type === "image_url");
    assert.equal(image?.image_url?.url, `data:image/png;base64,${PIXEL.toString("base64")}`);
  },
);

browserTest(
  "web chat: on a phone-width screen in dark mode the list opens from the menu, and Esc stops",
  async () => {
    await using chat = await openWebChat({
      viewport: { width: 390, height: 760 },
      colorScheme: "dark",
    });
    const { page, llm } = chat;
    await signIn(page);
    // The system's dark scheme is followed.
    const background = await page.evaluate("getComputedStyle(document.body).backgroundColor");
    assert.equal(background, "rgb(15, 18, 23)");
    const newChat = page.getByRole("button", { name: "New chat" });
    assert.equal(await newChat.isVisible(), false);
    const menu = page.getByRole("button", { name: "Show conversations" });
    await menu.click();
    await newChat.waitFor();
    assert.equal(await menu.getAttribute("aria-expanded"), "true");
    await newChat.click();
    await newChat.waitFor({ state: "hidden" });
    const never = gate();
    llm.enqueue({ text: ["Working on", " it"], pauseAfterChunks: 2, resume: never.promise });
    await sendMessage(page, "Start something long");
    await page.getByText("Working on").waitFor();
    await chat.screenshot("phone");
    await page.keyboard.press("Escape");
    await page.getByText("Stopped.").waitFor();
    await llm.waitForCancelledStreams(1);
    never.open();
  },
);

browserTest("web chat: a long conversation opens on its latest items and pages back", async () => {
  await using chat = await openWebChat();
  const { page } = chat;
  const headers = { Authorization: `Bearer ${WEB_KEY}`, "Content-Type": "application/json" };
  const message = (i: number) => ({
    type: "message",
    role: i % 2 ? "assistant" : "user",
    content: i % 2 ? [{ type: "output_text", text: `Answer ${i}` }] : `Question ${i}`,
  });
  const conv = await (await fetch(`${chat.url}/v1/conversations`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      metadata: { title: "Long one" },
      items: Array.from({ length: 20 }, (_, i) => message(i)),
    }),
  })).json();
  for (const start of [20, 40]) {
    const res = await fetch(`${chat.url}/v1/conversations/${conv.id}/items`, {
      method: "POST",
      headers,
      body: JSON.stringify({ items: Array.from({ length: 20 }, (_, i) => message(start + i)) }),
    });
    assert.equal(res.status, 200, await res.text());
  }
  await page.goto(`${chat.url}/#${conv.id}`);
  await signIn(page);
  await page.getByText("Answer 59").waitFor();
  // One page of 30 items: 30..59.
  assert.equal(await page.locator("#messages .msg").count(), 30);
  assert.equal(await page.getByText("Question 28", { exact: true }).count(), 0);
  await page.getByRole("button", { name: "Load earlier messages" }).click();
  await page.getByText("Question 0", { exact: true }).waitFor();
  assert.equal(await page.locator("#messages .msg").count(), 60);
  assert.equal(await page.locator("#messages .msg").first().innerText(), "Question 0");
  await page.getByRole("button", { name: "Load earlier messages" }).waitFor({ state: "hidden" });
});

browserTest(
  "web chat: a conversation named through the Responses API opens from the list and after a refresh",
  async () => {
    await using chat = await openWebChat();
    const { page, llm } = chat;
    llm.enqueue({ text: "Booked the train." });
    const created = await fetch(`${chat.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${WEB_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "herald", input: "Book a train", conversation: "trip 2027" }),
    });
    assert.equal(created.status, 200, await created.clone().text());
    await created.body?.cancel();

    await signIn(page);
    await page.getByRole("button", { name: "trip 2027", exact: true }).click();
    await page.locator(".msg.assistant", { hasText: "Booked the train." }).waitFor();
    assert.equal(new URL(page.url()).hash, "#trip%202027");

    // A refresh brings the named conversation back, and a new turn goes on in it.
    await page.reload();
    await signIn(page);
    await page.locator(".msg.assistant", { hasText: "Booked the train." }).waitFor();
    llm.enqueue({ text: "Seat 42." });
    await sendMessage(page, "Which seat?");
    await page.getByText("Seat 42.").waitFor();
    const upstream = llm.requests.at(-1);
    assert.ok(JSON.stringify(upstream).includes("Booked the train."), "history reached the model");
  },
);
