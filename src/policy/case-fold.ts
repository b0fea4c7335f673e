// One case fold for both sides of a match: the request text and the operator's patterns, choices and
// confirm values. JavaScript has no Unicode case folding, so this approximates full folding
// (CaseFolding.txt C+F) by lower → upper → lower: `ß`, `ẞ` → `ss`, `ᾳ` → `αι`, final `ς` → `σ`,
// Cherokee lower and upper agree. The leading lower-casing makes the capital sharp s reach `ss` too.
// It is locale-independent on purpose: a Turkish `ı` folds to `i`, which for a tripwire means
// more matches, never fewer.

const FINAL_SIGMA = /\u03C2/g

/** Case-folds a string; the result may need NFKC again to recompose (e.g. `ΐ` decomposes on the way). */
export function foldCase (text: string): string {
  // toLowerCase() picks `ς` or `σ` from context, which a pattern folded piece by piece cannot
  // reproduce; folding has one sigma.
  return text.toLowerCase().toUpperCase().toLowerCase().replace(FINAL_SIGMA, '\u03C3')
}
