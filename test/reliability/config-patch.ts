// Changes a few keys of a YAML config (chaosConfig's, say) without copying the rest of it: the text
// is parsed, the patch merged in (objects key by key, anything else replaced), and written back.
import { parse, stringify } from 'yaml'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

function merge (base: Json, patch: Json): Json {
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch
  const out: { [key: string]: Json } = { ...base }
  for (const [key, value] of Object.entries(patch)) out[key] = key in base ? merge(base[key]!, value) : value
  return out
}

export function patchConfig (yaml: string, patch: Record<string, unknown>): string {
  return stringify(merge(parse(yaml) as Json, patch as Json))
}
