/**
 * "Did you mean": the nearest of some names to a mistyped one, for commands, options and
 * configuration keys.
 * @module
 */

/**
 * The candidate closest to `word` by edit distance, if close enough to be a typo (one edit for
 * words of up to three letters, two for longer ones, three for words of ten letters or more).
 *
 * @example
 * ```ts
 * closestName("prot", ["host", "port"]); // "port"
 * ```
 */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  const allowed = word.length <= 3 ? 1 : word.length >= 10 ? 3 : 2;
  return bestDistance <= allowed ? best : undefined;
}

/** The Levenshtein distance between two strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}
