/** "did you mean …?" for names a person typed. */

/**
 * The candidate nearest `word`, when it is near enough: within a third of the word's length in
 * typos (or `maxTypos`), else (without `maxTypos`) a known name the word starts with.
 */
export function closest(word: string, candidates: Iterable<string>, maxTypos?: number): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  for (const candidate of candidates) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const allowed = maxTypos ?? Math.max(1, Math.floor(word.length / 3));
  if (best !== undefined && bestDistance <= allowed) return best;
  if (maxTypos !== undefined) return undefined;
  // `bearer_token` for `bearer`, `invoice_id` for `invoice`: a known name the word starts with.
  for (const candidate of candidates) {
    if (candidate.length >= 3 && lower.startsWith(candidate.toLowerCase())) return candidate;
  }
  return undefined;
}

/** ` (did you mean 'x'?)`, or nothing when no candidate is close. */
export function didYouMean(word: string, candidates: Iterable<string>, prefix = '', maxTypos?: number): string {
  const best = closest(word, candidates, maxTypos);
  return best === undefined ? '' : ` (did you mean '${prefix}${best}'?)`;
}

/** Damerau-Levenshtein (optimal string alignment): a swapped pair of letters counts as one typo. */
function distance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      let value = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, ((d[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = value;
    }
  }
  return (d[rows - 1] as number[])[cols - 1] as number;
}
