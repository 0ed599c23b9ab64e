/**
 * Finds the documentation examples marked for testing: a fenced code block whose preceding
 * non-blank line is `<!-- run -->`, `<!-- run expect="text" -->` or `<!-- check -->`.
 * @module
 */

/** One marked example. */
export interface DocExample {
  /** The Markdown file, relative to the repository. */
  file: string;
  /** The 1-based line of the opening fence. */
  line: number;
  /** The fence's language: `ts`, `sh`, `python`… */
  lang: string;
  code: string;
  /** `run`: execute it; `check`: only parse it. */
  mode: "run" | "check";
  /** Text the output must contain. */
  expect?: string;
}

const MARKER = /^<!--\s*(run|check)(?:\s+expect="((?:[^"\\]|\\.)*)")?\s*-->$/;

/**
 * Extracts the marked examples of one Markdown file.
 *
 * @example
 * ```ts
 * extractExamples('<!-- run expect="ok" -->\n\n```sh\necho ok\n```\n', "doc.md");
 * // [{ file: "doc.md", line: 3, lang: "sh", code: "echo ok\n", mode: "run", expect: "ok" }]
 * ```
 */
export function extractExamples(markdown: string, file: string): DocExample[] {
  const lines = markdown.split("\n");
  const out: DocExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i].trim());
    if (!marker) continue;
    let j = i + 1;
    while (j < lines.length && lines[j].trim() === "") j++;
    const fence = /^```(\w+)\s*$/.exec(lines[j] ?? "");
    if (!fence) throw new Error(`${file}:${i + 1}: the marker is not followed by a code block.`);
    const end = lines.findIndex((l, k) => k > j && l.trimEnd() === "```");
    if (end < 0) throw new Error(`${file}:${j + 1}: the code block is never closed.`);
    out.push({
      file,
      line: j + 1,
      lang: fence[1],
      code: lines.slice(j + 1, end).join("\n") + "\n",
      mode: marker[1] as "run" | "check",
      ...(marker[2] !== undefined ? { expect: JSON.parse(`"${marker[2]}"`) } : {}),
    });
    i = end;
  }
  return out;
}
