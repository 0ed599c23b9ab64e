/**
 * A byte buffer for a child's output that never grows past its cap: it keeps the first and
 * last halves and counts what was cut in between, so output is capped before it is buffered.
 * @module
 */
import { concatBytes } from "../../lib/mod.ts";

/** Keeps the first and last halves of a stream's bytes, counting what was cut in between. */
export class CappedBuffer {
  #half: number;
  #head: Uint8Array[] = [];
  #headBytes = 0;
  #tail: Uint8Array[] = [];
  #tailBytes = 0;
  #total = 0;
  #reader?: ReadableStreamDefaultReader<Uint8Array>;

  /** Keeps at most `max` bytes. */
  constructor(max: number) {
    this.#half = Math.floor(max / 2);
  }

  /** Reads `stream` to its end (or until cancelled). */
  async drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    this.#reader = stream.getReader();
    try {
      while (true) {
        const { done, value } = await this.#reader.read();
        if (done) return;
        this.#push(value);
      }
    } finally {
      this.#reader.releaseLock();
    }
  }

  /** Stops reading. */
  cancel(): void {
    this.#reader?.cancel().catch(() => {});
  }

  /** Bytes seen in total, kept or not. */
  get total(): number {
    return this.#total;
  }

  /** Every byte, when nothing was cut; null when the output went over the cap. */
  bytes(): Uint8Array | null {
    if (this.#total > this.#headBytes + this.#tailBytes) return null;
    return concatBytes([...this.#head, ...this.#tail]);
  }

  #push(chunk: Uint8Array): void {
    this.#total += chunk.length;
    if (this.#headBytes < this.#half) {
      const take = Math.min(chunk.length, this.#half - this.#headBytes);
      this.#head.push(chunk.subarray(0, take));
      this.#headBytes += take;
      chunk = chunk.subarray(take);
    }
    if (chunk.length === 0) return;
    this.#tail.push(chunk);
    this.#tailBytes += chunk.length;
    while (this.#tailBytes - this.#tail[0].length >= this.#half) {
      this.#tailBytes -= this.#tail.shift()!.length;
    }
  }

  /** The bytes kept, decoded, with a note where the middle was cut. */
  text(): string {
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    const tailAll = concatBytes(this.#tail);
    const tail = tailAll.subarray(Math.max(0, tailAll.length - this.#half));
    const omitted = this.#total - this.#headBytes - tail.length;
    if (omitted <= 0) return decode(concatBytes([...this.#head, tail]));
    return decode(concatBytes(this.#head)) +
      `\n[… ${omitted} bytes cut from the middle (${this.#total} bytes in total) …]\n` +
      decode(tail);
  }
}
