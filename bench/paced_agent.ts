/**
 * A scripted agent for the platform edit benches: it streams one word every `tokenMs` for
 * `streamMs`, then ends with "END", so a bench measures the platform's pacing of edits and not
 * a model.
 * @module
 */
import type { AgentEvent, AgentTurn } from "../agent/mod.ts";
import { emptyUsage } from "../agent/mod.ts";

/** The agent {@link pacedAgent} returns; `chars` is the length of the last reply it finished. */
export interface PacedAgent {
  readonly chars: number;
  run(turn: AgentTurn, options: { signal?: AbortSignal }): AsyncGenerator<AgentEvent>;
}

/** An agent that streams one word every `tokenMs` for `streamMs`, then ends with "END". */
export function pacedAgent(streamMs: number, tokenMs: number): PacedAgent {
  let chars = 0;
  return {
    get chars() {
      return chars;
    },
    async *run(_turn, options) {
      const end = performance.now() + streamMs;
      let text = "";
      while (performance.now() < end && !options.signal?.aborted) {
        const delta = `word${text.length % 7} `;
        text += delta;
        yield { type: "text_delta", delta };
        await new Promise((r) => setTimeout(r, tokenMs));
      }
      text += "END";
      yield { type: "text_delta", delta: "END" };
      chars = text.length;
      yield {
        type: "final",
        result: {
          status: "completed",
          text,
          messages: [{ role: "assistant", content: text }],
          usage: emptyUsage(),
          finishReason: "stop",
          clientToolCalls: [],
        },
      };
    },
  };
}
