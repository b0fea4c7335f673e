// The Lua script wrk runs: the request pool as pre-formatted HTTP/1.1 requests (so wrk only copies
// bytes), a check of every answer against the expectation, optional pacing, and a summary line the
// bench parses. Each wrk thread starts at its own offset and steps by the thread count, so threads
// never send the same pooled request twice before the pool wraps.
import type { LoadSpec } from './load-spec.ts'
import type { PlannedRequest } from './request-pool.ts'

/** A Lua string literal; quoted form because long brackets would turn \r\n into \n. */
function luaString (text: string): string {
  const escaped = text.replace(/[\\"]/g, '\\$&').replace(/[\x00-\x1f\x7f]/g, (c) => {
    if (c === '\r') return '\\r'
    if (c === '\n') return '\\n'
    return `\\${c.charCodeAt(0).toString().padStart(3, '0')}`
  })
  return `"${escaped}"`
}

function rawRequest (host: string, r: PlannedRequest): string {
  const headers = Object.entries({ host, ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) })
    .map(([name, value]) => `${name}: ${value}\r\n`).join('')
  return `${r.method} ${r.path} HTTP/1.1\r\n${headers}\r\n${r.body}`
}

export function wrkScript (spec: LoadSpec, threads: number): string {
  const host = new URL(spec.origin).host
  // One request per connection in flight: pacing each connection at connections/rate seconds
  // approximates `rate` overall (less the answer time).
  const delayMs = spec.rate === undefined ? null : Math.max(0, Math.round(spec.connections * 1000 / spec.rate))
  return `
local reqs = {
${spec.pool.map((r) => luaString(rawRequest(host, r))).join(',\n')}
}
local NTHREADS = ${threads}
local EXPECT_STATUS = ${spec.expect.status}
local EXPECT_BODY = ${spec.expect.bodyIncludes === undefined ? 'nil' : luaString(spec.expect.bodyIncludes)}
local n = #reqs
local threads = {}
local idx = 0

good, bad, sent, first_bad = 0, 0, 0, ""

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  idx = tid % n
end

function request()
  local r = reqs[idx + 1]
  idx = (idx + NTHREADS) % n
  sent = sent + 1
  return r
end
${delayMs === null ? '' : `
function delay()
  return ${delayMs}
end
`}
function response(status, headers, body)
  if status == EXPECT_STATUS and (EXPECT_BODY == nil or (body ~= nil and string.find(body, EXPECT_BODY, 1, true) ~= nil)) then
    good = good + 1
  else
    bad = bad + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 160) end
  end
end

function done(summary, latency, requests)
  local g, b, s, fb = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    g = g + t:get("good")
    b = b + t:get("bad")
    s = s + t:get("sent")
    local f = t:get("first_bad")
    if fb == "" and f ~= nil then fb = f end
  end
  io.write(string.format("BENCH good=%d bad=%d sent=%d\\n", g, b, s))
  io.write("BENCH_FIRST_BAD " .. (string.gsub(fb, "[\\r\\n]", " ")) .. "\\n")
end
`
}
