/// <reference lib="dom" />
/**
 * The web chat's entry (bundled by web/build.ts): sign-in with the API key, the conversation
 * list, the transcript and the composer, wired to Herald's public API. A turn is a streamed
 * `POST /v1/responses` on a `conv_…` conversation declaring Herald's own `mcp` tool, so tool
 * calls arrive as `mcp_call` items and approvals as `mcp_approval_request` items; Stop aborts the
 * request, which aborts the turn.
 * @module
 */
import { ApiError, type Conversation, HeraldApi, type Item } from "./api.ts";
import { Composer } from "./composer.ts";
import { byId, show } from "./dom.ts";
import { Sidebar, titleOf } from "./sidebar.ts";
import { Transcript } from "./transcript.ts";

const KEY_STORAGE = "herald.key";
const MODEL_STORAGE = "herald.model";
const HERALD_TOOLS = [{ type: "mcp", server_label: "herald" }];

const signin = byId("signin");
const signinForm = byId<HTMLFormElement>("signin-form");
const keyInput = byId<HTMLInputElement>("key");
const remember = byId<HTMLInputElement>("remember");
const signinError = byId("signin-error");
const app = byId("app");
const sidebarEl = byId("sidebar");
const menu = byId<HTMLButtonElement>("menu");
const title = byId("title");
const modelSelect = byId<HTMLSelectElement>("model");
const banner = byId("banner");
const older = byId<HTMLButtonElement>("older");
const prompt = byId<HTMLTextAreaElement>("prompt");

let api: HeraldApi | null = null;
let conversation: Conversation | null = null;
let olderAfter: string | undefined;
let running: AbortController | null = null;
/** Settles when the running turn (if any) has ended. */
let turnDone: Promise<void> = Promise.resolve();

const transcript = new Transcript(
  byId("messages"),
  (id, approve) => void answerApproval(id, approve),
);
const sidebar = new Sidebar(byId<HTMLUListElement>("conversations"), byId("more-conversations"), {
  open: (c) => {
    closeMenu();
    void openConversation(c.id);
  },
  deleted: (id) => {
    if (conversation?.id === id) newChat();
  },
  renamed: (c) => {
    if (conversation?.id === c.id) {
      conversation = c;
      title.textContent = titleOf(c);
    }
  },
  error: showBanner,
});
const composer = new Composer(
  byId<HTMLFormElement>("composer"),
  prompt,
  byId<HTMLInputElement>("file"),
  byId("attachments"),
  byId<HTMLButtonElement>("send"),
  byId<HTMLButtonElement>("stop"),
  { send: (text, images) => void send(text, images), stop, error: showBanner },
);

function showBanner(message: string): void {
  banner.textContent = message;
  show(banner, true);
}

function hideBanner(): void {
  show(banner, false);
}

function closeMenu(): void {
  sidebarEl.classList.remove("open");
  menu.setAttribute("aria-expanded", "false");
}

function showSignIn(message?: string): void {
  show(app, false);
  show(signin, true);
  signinError.textContent = message ?? "";
  show(signinError, Boolean(message));
  keyInput.focus();
}

async function signIn(key: string, keep: boolean): Promise<void> {
  const candidate = new HeraldApi(key);
  let models: string[];
  try {
    models = await candidate.models();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      localStorage.removeItem(KEY_STORAGE);
      return showSignIn("That key was not accepted. `herald key` prints the gateway's key.");
    }
    return showSignIn((error as Error).message);
  }
  if (keep) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
  api = candidate;
  keyInput.value = "";
  const wanted = localStorage.getItem(MODEL_STORAGE);
  modelSelect.replaceChildren(...models.map((id) => new Option(id, id, false, id === wanted)));
  // The chat shows once the list and the conversation in the address are loaded, so nothing
  // the user starts meanwhile can be replaced by them.
  await sidebar.reset(api);
  await openFromHash();
  show(signin, false);
  show(app, true);
  byId("messages").lastElementChild?.scrollIntoView({ block: "end" });
  prompt.focus();
}

function signOut(message?: string): void {
  stop();
  localStorage.removeItem(KEY_STORAGE);
  api = null;
  conversation = null;
  transcript.clear();
  history.replaceState(null, "", location.pathname);
  showSignIn(message);
}

function newChat(): void {
  stop();
  conversation = null;
  olderAfter = undefined;
  show(older, false);
  transcript.clear();
  title.textContent = "New chat";
  sidebar.select(null);
  history.replaceState(null, "", location.pathname);
  prompt.focus();
}

async function openFromHash(): Promise<void> {
  const id = decodeURIComponent(location.hash.slice(1));
  // A `conv_…` id or a conversation name used with the Responses API (`conversation: "trip"`).
  if (id !== "" && id.length <= 256) await openConversation(id);
  else newChat();
}

async function openConversation(id: string): Promise<void> {
  if (!api) return;
  stop();
  hideBanner();
  try {
    conversation = await api.conversation(id);
  } catch (error) {
    newChat();
    return showBanner(`Cannot open that chat: ${(error as Error).message}`);
  }
  history.replaceState(null, "", `#${encodeURIComponent(id)}`);
  title.textContent = titleOf(conversation);
  sidebar.select(id);
  transcript.clear();
  olderAfter = undefined;
  await loadOlder();
  byId("messages").lastElementChild?.scrollIntoView({ block: "end" });
}

async function loadOlder(): Promise<void> {
  if (!api || !conversation) return;
  const id = conversation.id;
  try {
    const page = await api.items(id, olderAfter);
    if (conversation?.id !== id) return;
    transcript.prependStored(page.data);
    olderAfter = page.last_id ?? page.data.at(-1)?.id;
    show(older, page.has_more);
  } catch (error) {
    showBanner(`Cannot load the messages: ${(error as Error).message}`);
  }
}

async function send(text: string, images: string[]): Promise<void> {
  if (!api) return;
  hideBanner();
  if (!conversation) {
    try {
      conversation = await api.createConversation((text || "Image").slice(0, 60));
    } catch (error) {
      return showBanner(`Cannot start a chat: ${(error as Error).message}`);
    }
    history.replaceState(null, "", `#${encodeURIComponent(conversation.id)}`);
    title.textContent = titleOf(conversation);
    sidebar.upsert(conversation);
    sidebar.select(conversation.id);
  }
  transcript.addUser(text, images);
  const content: Item[] = [
    ...(text ? [{ type: "input_text", text }] : []),
    ...images.map((url) => ({ type: "input_image", image_url: url })),
  ];
  await runTurn([{ type: "message", role: "user", content }]);
}

async function answerApproval(requestId: string, approve: boolean): Promise<void> {
  transcript.markAnswered(requestId, approve);
  // The question arrives just before its response ends: let that turn finish first.
  await turnDone;
  await runTurn([{
    type: "mcp_approval_response",
    approval_request_id: requestId,
    approve,
    ...(approve ? {} : { reason: "Denied in the web chat." }),
  }]);
}

function runTurn(input: Item[]): Promise<void> {
  const turn = turnDone.then(() => streamTurn(input));
  turnDone = turn.catch(() => {});
  return turn;
}

async function streamTurn(input: Item[]): Promise<void> {
  if (!api || !conversation) return;
  const controller = new AbortController();
  const id = conversation.id;
  // Notes about this turn go only to its own conversation's transcript.
  const here = () => conversation?.id === id;
  running = controller;
  composer.busy = true;
  const view = transcript.startTurn();
  try {
    const events = api.respond({
      model: modelSelect.value || "herald",
      conversation: conversation.id,
      input,
      tools: HERALD_TOOLS,
    }, controller.signal);
    for await (const event of events) view.apply(event);
    if (!view.status && !controller.signal.aborted && here()) {
      transcript.addError("The connection to Herald was lost before the answer finished.");
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) signOut(error.message);
    else if (!here()) return;
    else if (controller.signal.aborted) transcript.addNote("Stopped.");
    else transcript.addError((error as Error).message);
  } finally {
    view.end();
    if (running === controller) running = null;
    composer.busy = false;
  }
  // The list is ordered by activity: this conversation is now the most recent.
  if (here() && conversation) sidebar.upsert(conversation);
}

function stop(): void {
  running?.abort();
}

signinForm.addEventListener("submit", (e) => {
  e.preventDefault();
  void signIn(keyInput.value.trim(), remember.checked);
});
byId("new-chat").addEventListener("click", () => {
  closeMenu();
  newChat();
});
byId("sign-out").addEventListener("click", () => signOut());
older.addEventListener("click", () => void loadOlder());
banner.addEventListener("click", hideBanner);
modelSelect.addEventListener(
  "change",
  () => localStorage.setItem(MODEL_STORAGE, modelSelect.value),
);
menu.addEventListener("click", () => {
  const open = sidebarEl.classList.toggle("open");
  menu.setAttribute("aria-expanded", String(open));
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && running) {
    e.preventDefault();
    stop();
  }
});
addEventListener("hashchange", () => void (api && openFromHash()));

const saved = localStorage.getItem(KEY_STORAGE);
if (saved) void signIn(saved, true);
else showSignIn();
