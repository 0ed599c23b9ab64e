/// <reference lib="dom" />
/**
 * The message box: Enter sends, Shift+Enter is a new line, Esc stops; images attached with the
 * file picker are read into data URLs (sent as `input_image` parts) and shown as removable chips.
 * @module
 */
import { h } from "./dom.ts";

/** Largest total of attached images, well under the gateway's default 10 MB body limit. */
const MAX_IMAGE_BYTES = 6 * 1024 * 1024;

/** What the composer asks of the page. */
export interface ComposerEvents {
  send(text: string, images: string[]): void;
  stop(): void;
  error(message: string): void;
}

/** The form at the bottom of the chat. */
export class Composer {
  #images: { name: string; url: string; size: number }[] = [];

  constructor(
    readonly form: HTMLFormElement,
    readonly input: HTMLTextAreaElement,
    readonly file: HTMLInputElement,
    readonly chips: HTMLElement,
    readonly sendButton: HTMLButtonElement,
    readonly stopButton: HTMLButtonElement,
    readonly events: ComposerEvents,
  ) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#submit();
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.#submit();
      }
    });
    input.addEventListener("input", () => this.#fit());
    stopButton.addEventListener("click", () => events.stop());
    file.addEventListener("change", () => this.#attach());
  }

  /** Switches between Send and Stop while a turn runs. */
  set busy(running: boolean) {
    this.sendButton.hidden = running;
    this.stopButton.hidden = !running;
    this.form.dataset.busy = running ? "true" : "false";
  }

  get busy(): boolean {
    return this.form.dataset.busy === "true";
  }

  #submit(): void {
    const text = this.input.value.trim();
    if (this.busy || (!text && this.#images.length === 0)) return;
    const images = this.#images.map((i) => i.url);
    this.input.value = "";
    this.#images = [];
    this.#drawChips();
    this.#fit();
    this.events.send(text, images);
  }

  #fit(): void {
    this.input.rows = Math.min(8, Math.max(1, this.input.value.split("\n").length));
  }

  async #attach(): Promise<void> {
    for (const file of this.file.files ?? []) {
      if (!file.type.startsWith("image/")) {
        this.events.error(`${file.name} is not an image.`);
        continue;
      }
      const total = this.#images.reduce((n, i) => n + i.size, 0) + file.size;
      if (total > MAX_IMAGE_BYTES) {
        this.events.error(`${file.name} is too large: images may total 6 MB per message.`);
        continue;
      }
      const url = await new Promise<string>((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(String(reader.result));
        reader.onerror = () => reject(reader.error);
        reader.readAsDataURL(file);
      });
      this.#images.push({ name: file.name, url, size: file.size });
    }
    this.file.value = "";
    this.#drawChips();
  }

  #drawChips(): void {
    this.chips.replaceChildren(...this.#images.map((image, i) => {
      const remove = h(
        "button",
        { type: "button", class: "icon", "aria-label": `Remove ${image.name}` },
        "×",
      );
      remove.addEventListener("click", () => {
        this.#images.splice(i, 1);
        this.#drawChips();
      });
      return h(
        "span",
        { class: "chip" },
        h("img", { src: image.url, alt: image.name, class: "thumb" }),
        remove,
      );
    }));
  }
}
