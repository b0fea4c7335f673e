// Turn order for interleaved rounds: each round starts one contender later, so no contender always
// runs first (right after start-up) or last.
export function rotate<T> (items: readonly T[], by: number): T[] {
  const k = by % items.length
  return [...items.slice(k), ...items.slice(0, k)]
}
