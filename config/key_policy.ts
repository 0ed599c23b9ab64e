/**
 * Which API server keys are too weak to accept. An agent gateway runs shell tools, so a guessable
 * key is remote code execution; we refuse short keys and the placeholders people leave in
 * example files.
 * @module
 */

/** The shortest key accepted. */
export const MIN_KEY_LENGTH = 16;

// Words placeholder keys are made of. A key is a placeholder when, without separators and digits,
// it is nothing but these words: "your-api-key-here", "sk-xxxxxxxxxxxxxxxx", "changeme-changeme".
const PLACEHOLDER_WORDS = [
  "changeme",
  "change",
  "me",
  "password",
  "passwd",
  "pass",
  "secret",
  "test",
  "testing",
  "your",
  "my",
  "api",
  "key",
  "keys",
  "here",
  "sk",
  "x",
  "example",
  "placeholder",
  "dummy",
  "null",
  "none",
  "replace",
  "insert",
  "put",
  "token",
  "default",
  "admin",
  "demo",
  "sample",
  "todo",
  "fixme",
  "abc",
  "qwerty",
  "letmein",
  "foo",
  "bar",
  "herald",
  "server",
  "value",
  "fake",
];

/**
 * Says why a user-supplied API server key cannot be used, or returns null when it is acceptable.
 *
 * @example
 * ```ts
 * weakKeyReason("changeme"); // "is shorter than 16 characters"
 * weakKeyReason("your-api-key-here"); // "looks like a placeholder; ..."
 * ```
 */
export function weakKeyReason(key: string): string | null {
  if (key.length < MIN_KEY_LENGTH) {
    return `is ${key.length} characters long; use at least ${MIN_KEY_LENGTH}`;
  }
  if (/^(.)\1*$/s.test(key)) return "is one character repeated; use a random key";
  const letters = key.toLowerCase().replace(/[^a-z0-9]/g, "").replace(/[0-9]/g, "");
  if (letters === "" || isMadeOfWords(letters)) {
    return "looks like a placeholder; use a random key, e.g. one `herald key --rotate` makes";
  }
  return null;
}

// Word break by dynamic programming: can `text` be split entirely into placeholder words?
function isMadeOfWords(text: string): boolean {
  const reachable = new Array<boolean>(text.length + 1).fill(false);
  reachable[0] = true;
  for (let end = 1; end <= text.length; end++) {
    for (const word of PLACEHOLDER_WORDS) {
      const start = end - word.length;
      if (start >= 0 && reachable[start] && text.startsWith(word, start)) {
        reachable[end] = true;
        break;
      }
    }
  }
  return reachable[text.length];
}
