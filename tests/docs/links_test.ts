/**
 * Every relative link in README.md and docs/*.md points at a file that exists, and every
 * `#anchor` into a Markdown file names one of its headings.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";

const REPO = new URL("../../", import.meta.url).pathname;

async function markdownFiles(): Promise<string[]> {
  const files = [join(REPO, "README.md")];
  for await (const entry of Deno.readDir(join(REPO, "docs"))) {
    if (entry.isFile && entry.name.endsWith(".md")) files.push(join(REPO, "docs", entry.name));
  }
  return files.sort();
}

/** Drops fenced code blocks and inline code, where link syntax is only an example. */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```\s*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[`*_]/g, "").replace(/[^\p{L}\p{N}\s-]/gu, "")
    .replace(/\s/g, "-");
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const withoutCode = markdown.replace(/^```[^\n]*\n[\s\S]*?^```\s*$/gm, "");
  for (const match of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(match[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

Deno.test("relative links in README.md and docs/ resolve to existing files and headings", async () => {
  const broken: string[] = [];
  for (const file of await markdownFiles()) {
    const text = await Deno.readTextFile(file);
    for (const match of prose(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:…
      const [path, anchor] = target.split("#", 2);
      const resolved = path ? join(dirname(file), decodeURIComponent(path)) : file;
      const where = `${relative(REPO, file)}: ${target}`;
      let targetText: string;
      try {
        const stat = await Deno.stat(resolved);
        if (!stat.isFile || !resolved.endsWith(".md") || !anchor) continue;
        targetText = await Deno.readTextFile(resolved);
      } catch {
        broken.push(`${where} (no such file)`);
        continue;
      }
      if (!anchors(targetText).has(anchor)) broken.push(`${where} (no such heading)`);
    }
  }
  assert.deepEqual(broken, [], `broken links:\n${broken.join("\n")}`);
});

Deno.test("the link check sees a broken link", () => {
  // Guards the test above against a regular expression that never matches.
  const links = [...prose("See [x](nowhere.md) and `[y](code.md)`.").matchAll(/\]\(([^)\s]+)\)/g)];
  assert.deepEqual(links.map((m) => m[1]), ["nowhere.md"]);
  assert.ok(anchors("# The `herald` command\n## Clients").has("the-herald-command"));
  assert.ok(anchors("## Clients").has("clients"));
});
