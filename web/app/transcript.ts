/// <reference lib="dom" />
/**
 * The messages pane: user messages as plain text, answers as sanitized Markdown, tool calls
 * (`mcp_call` items) as collapsible blocks with their arguments and output, approval requests
 * (`mcp_approval_request`) with Allow / Deny buttons, errors in words. Stored items and live
 * stream events end up as the same elements.
 * @module
 */
import type { Item } from "./api.ts";
import { h } from "./dom.ts";
import { renderMarkdown } from "./markdown.ts";
import type { StreamEvent } from "./sse.ts";

/** What the page does when an approval is answered. */
export type ApprovalAnswer = (requestId: string, approve: boolean) => void;

/** An assistant answer being streamed or shown: re-rendered at most every 30 ms as text arrives. */
class AnswerView {
  readonly el = h("div", { class: "msg assistant markdown" });
  #text = "";
  #pending = false;

  set(text: string): void {
    this.#text = text;
    if (this.#pending) return;
    this.#pending = true;
    // A timer rather than an animation frame: frames stop in a hidden tab, text should not.
    setTimeout(() => {
      this.#pending = false;
      this.el.replaceChildren(renderMarkdown(this.#text));
    }, 30);
  }

  append(delta: string): void {
    this.el.setAttribute("aria-busy", "true");
    this.set(this.#text + delta);
  }

  /** The whole answer is in: screen readers may read it now. */
  finish(text: string): void {
    this.el.removeAttribute("aria-busy");
    this.set(text);
  }
}

/** A tool call: a `<details>` with the tool's name and status, arguments and output inside. */
class ToolView {
  readonly el: HTMLDetailsElement;
  readonly #status = h("span", { class: "status" });
  readonly #args = h("pre", { class: "args" });
  readonly #output = h("pre", { class: "output" });
  #argText = "";

  constructor(name: string, server: string) {
    const label = server && server !== "herald" ? `${server}: ${name}` : name;
    this.el = h(
      "details",
      { class: "tool" },
      h("summary", {}, h("span", { class: "tool-name" }, `Tool: ${label}`), " ", this.#status),
      h("div", { class: "tool-part" }, h("h3", {}, "Arguments"), this.#args),
      h("div", { class: "tool-part" }, h("h3", {}, "Output"), this.#output),
    );
    this.status("running");
  }

  status(text: string): void {
    this.#status.textContent = text;
    this.el.dataset.status = text;
  }

  appendArgs(delta: string): void {
    this.#argText += delta;
    this.#args.textContent = this.#argText;
  }

  finish(item: Item): void {
    this.#args.textContent = pretty(item.arguments ?? this.#argText);
    this.#output.textContent = String(item.output ?? item.error ?? "");
    this.status(item.status === "failed" || item.error ? "failed" : "done");
  }
}

/** Pretty-prints JSON arguments, or returns them as they are. */
function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

/** The transcript of one conversation. */
export class Transcript {
  readonly #list: HTMLElement;
  readonly #onAnswer: ApprovalAnswer;
  /** Approval requests answered so far (by id), from stored items or this page. */
  readonly #answered = new Map<string, boolean>();
  readonly #approvals = new Map<string, HTMLElement>();

  constructor(list: HTMLElement, onAnswer: ApprovalAnswer) {
    this.#list = list;
    this.#onAnswer = onAnswer;
  }

  /** Empties the pane. */
  clear(): void {
    this.#list.replaceChildren();
    this.#answered.clear();
    this.#approvals.clear();
  }

  /**
   * Puts a page of stored items (newest first, as the API pages them) above what is shown.
   * Newer pages come first, so each approval's answer is known before its request is drawn.
   */
  prependStored(items: Item[]): void {
    for (const item of items) {
      if (item.type === "mcp_approval_response") {
        this.#answered.set(item.approval_request_id, item.approve === true);
      }
    }
    const nodes = [...items].reverse().map((item) => this.#storedNode(item))
      .filter((n): n is HTMLElement => n !== null);
    this.#list.prepend(...nodes);
  }

  #storedNode(item: Item): HTMLElement | null {
    switch (item.type) {
      case "message": {
        if (item.role === "user") return userNode(item.content);
        if (item.role !== "assistant") return null;
        const answer = new AnswerView();
        answer.set(textOf(item.content));
        return answer.el;
      }
      case "mcp_call": {
        const tool = new ToolView(item.name, item.server_label);
        tool.finish(item);
        return tool.el;
      }
      case "mcp_approval_request":
        return this.#approvalNode(item);
      case "reasoning": {
        const text = (item.summary ?? []).map((s: { text?: string }) => s.text ?? "").join("\n");
        return text ? reasoningNode(text) : null;
      }
      default:
        return null;
    }
  }

  /** Shows the user's message (text and image data URLs). */
  addUser(text: string, images: string[]): void {
    const parts: Item[] = images.map((url) => ({ type: "input_image", image_url: url }));
    this.#add(userNode([{ type: "input_text", text }, ...parts]));
  }

  /** Shows an error in the transcript. */
  addError(message: string): void {
    this.#add(h("p", { class: "msg error", role: "alert" }, message));
  }

  /** Shows a quiet note (the turn was stopped…). */
  addNote(message: string): void {
    this.#add(h("p", { class: "msg note" }, message));
  }

  /** Marks an approval as answered: its buttons go, the answer stays in words. */
  markAnswered(requestId: string, approve: boolean): void {
    this.#answered.set(requestId, approve);
    const card = this.#approvals.get(requestId);
    if (card) settleApproval(card, approve);
  }

  #add(node: HTMLElement): void {
    this.#list.append(node);
    node.scrollIntoView({ block: "end" });
  }

  #approvalNode(item: Item): HTMLElement {
    const allow = h("button", { type: "button", class: "allow" }, "Allow");
    const deny = h("button", { type: "button", class: "deny" }, "Deny");
    const card = h(
      "div",
      { class: "approval", role: "group", "aria-label": `Approval for ${item.name}` },
      h("p", {}, "Herald wants to run ", h("strong", {}, String(item.name)), ":"),
      h("pre", { class: "args" }, pretty(String(item.arguments ?? ""))),
      h("div", { class: "buttons" }, allow, deny),
    );
    card.dataset.requestId = item.id ?? "";
    allow.addEventListener("click", () => this.#onAnswer(item.id!, true));
    deny.addEventListener("click", () => this.#onAnswer(item.id!, false));
    this.#approvals.set(item.id!, card);
    const answered = this.#answered.get(item.id!);
    if (answered !== undefined) settleApproval(card, answered);
    return card;
  }

  /** Renders one streamed response as it arrives. */
  startTurn(): TurnView {
    return new TurnView((node) => this.#add(node), (item) => this.#approvalNode(item));
  }
}

/** Applies one response's stream events to the transcript. */
export class TurnView {
  #answers = new Map<string, AnswerView>();
  #tools = new Map<string, ToolView>();
  #reasoning = new Map<string, HTMLElement>();
  /** The response's id, once `response.created` arrived. */
  responseId?: string;
  /** How the response ended: its terminal event's status, or undefined while it runs. */
  status?: "completed" | "incomplete" | "failed";
  /** The error message of a failed response. */
  error?: string;

  constructor(
    readonly add: (node: HTMLElement) => void,
    readonly approval: (item: Item) => HTMLElement,
  ) {}

  /** Applies one event. */
  apply(event: StreamEvent): void {
    switch (event.type) {
      case "response.created":
        this.responseId = event.response?.id;
        break;
      case "response.output_item.added":
        this.#added(event.item);
        break;
      case "response.output_text.delta":
        this.#answers.get(event.item_id)?.append(event.delta);
        break;
      case "response.reasoning_summary_text.delta": {
        const box = this.#reasoning.get(event.item_id)?.querySelector("p");
        if (box) box.textContent += event.delta;
        break;
      }
      case "response.mcp_call_arguments.delta":
        this.#tools.get(event.item_id)?.appendArgs(event.delta);
        break;
      case "response.output_item.done":
        this.#done(event.item);
        break;
      case "error":
        this.error = event.message ?? event.error?.message ?? "The turn failed.";
        break;
      case "response.failed":
        this.status = "failed";
        this.error ??= event.response?.error?.message ?? "The turn failed.";
        this.add(h("p", { class: "msg error", role: "alert" }, this.error!));
        break;
      case "response.incomplete":
        this.status = "incomplete";
        this.add(h("p", { class: "msg note" }, incompleteNote(event.response)));
        break;
      case "response.completed":
        this.status = "completed";
        break;
    }
  }

  /** The stream is over (finished, stopped or broken): no answer is busy any more. */
  end(): void {
    for (const answer of this.#answers.values()) answer.el.removeAttribute("aria-busy");
  }

  #added(item: Item): void {
    if (item.type === "message") {
      const answer = new AnswerView();
      this.#answers.set(item.id!, answer);
      this.add(answer.el);
    } else if (item.type === "mcp_call") {
      const tool = new ToolView(item.name, item.server_label);
      this.#tools.set(item.id!, tool);
      this.add(tool.el);
    } else if (item.type === "reasoning") {
      const node = reasoningNode("");
      this.#reasoning.set(item.id!, node);
      this.add(node);
    }
  }

  #done(item: Item): void {
    if (item.type === "message") this.#answers.get(item.id!)?.finish(textOf(item.content));
    else if (item.type === "mcp_call") this.#tools.get(item.id!)?.finish(item);
    else if (item.type === "mcp_approval_request") this.add(this.approval(item));
  }
}

function incompleteNote(response: { incomplete_details?: { reason?: string } } | undefined) {
  const reason = response?.incomplete_details?.reason;
  return reason ? `The answer stopped early (${reason}).` : "The answer stopped early.";
}

function settleApproval(card: HTMLElement, approve: boolean): void {
  card.querySelector(".buttons")?.replaceWith(
    h("p", { class: "answered" }, approve ? "Allowed." : "Denied."),
  );
  card.dataset.answered = approve ? "allowed" : "denied";
}

function reasoningNode(text: string): HTMLElement {
  return h("details", { class: "reasoning" }, h("summary", {}, "Reasoning"), h("p", {}, text));
}

/** The text of a message's content (a string or a list of text parts). */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p) => (typeof p?.text === "string" ? p.text : "")).join("");
}

function userNode(content: unknown): HTMLElement {
  const el = h("div", { class: "msg user" });
  const parts: Item[] = typeof content === "string"
    ? [{ type: "input_text", text: content }]
    : Array.isArray(content)
    ? content
    : [];
  for (const part of parts) {
    if (typeof part.text === "string" && part.text) el.append(h("p", {}, part.text));
    const url = typeof part.image_url === "string" ? part.image_url : part.image_url?.url;
    if (part.type === "input_image" && typeof url === "string" && url.startsWith("data:image/")) {
      el.append(h("img", { src: url, alt: "Attached image", class: "thumb" }));
    }
  }
  return el;
}
