// The Lua scripts of the Redis store. Anything that reads and then writes, or writes more than one key,
// is one script: Redis runs a script alone, so two gateways can never interleave inside it, and a
// connection lost halfway leaves either all of it or none. Every script takes the key prefix as
// ARGV[1] and no KEYS (see redis-keys.ts on why a cluster is not supported).
// Scripts return only strings, integers and arrays (a Lua boolean would come back as 1 or nil, and
// nil ends a Lua array), and pass numbers that must stay exact (seqs, ms) as strings.
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { LUA_KEYS } from './redis-keys.ts'

export interface Script {
  readonly name: string
  readonly lua: string
  readonly sha: string
}

/** EVALSHA, falling back to EVAL once when the server does not know the script (it restarted). */
export async function runScript (client: Redis, script: Script, args: ReadonlyArray<string | number>): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, 0, ...args)
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
    return await client.eval(script.lua, 0, ...args)
  }
}

function script (name: string, body: string): Script {
  const lua = `-- hookgate ${name}\n${LUA_KEYS}\n${COMMON}\n${body}`
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') }
}

const COMMON = `
local UNFINISHED = { queued = true, running = true }

local function storedRun (id)
  local h = redis.call('HMGET', K_run .. id, 'run', 'request', 'tokenHash', 'process')
  if not h[1] then return nil end
  return { h[1], h[2], h[3], h[4] or '' }
end

local function seqOf (entryId)
  return tonumber(string.match(entryId, '^(%d+)'))
end

-- The highest seq ever added, also when trimming left the stream empty: XADD refuses anything not above it.
local function topSeq (stream)
  if redis.call('EXISTS', stream) == 0 then return 0 end
  local info = redis.call('XINFO', 'STREAM', stream)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then return seqOf(info[i + 1]) end
  end
  return 0
end

local function publish (id, seq)
  redis.call('PUBLISH', K_eventsChannel, id .. ' ' .. seq)
end

-- Stores a new version of an existing run, keeping the status and finished indexes exact.
local function setRun (id, json, status, finishedAt)
  local h = redis.call('HMGET', K_run .. id, 'status', 'seq')
  local old, seq = h[1], h[2]
  redis.call('HSET', K_run .. id, 'run', json, 'status', status)
  if old ~= status then
    redis.call('ZREM', K_status .. old, id)
    redis.call('ZADD', K_status .. status, seq, id)
  end
  if finishedAt ~= '' and not UNFINISHED[status] then
    redis.call('ZADD', K_finished, finishedAt, id)
  else
    redis.call('ZREM', K_finished, id)
  end
end

local function idemRun (value)
  local expiresAt, runId = string.match(value, '^(%d+) (.+)$')
  return tonumber(expiresAt), runId
end

-- Prune keeps the run's idempotency keys (as SQLite does): they lapse, and are counted, on their own.
local function removeRun (id, keepKeys)
  local h = redis.call('HMGET', K_run .. id, 'status', 'caller', 'keys')
  redis.call('ZREM', K_runs, id)
  redis.call('ZREM', K_finished, id)
  if h[1] then redis.call('ZREM', K_status .. h[1], id) end
  if h[2] then redis.call('ZREM', K_caller .. h[2], id) end
  if h[3] and not keepKeys then
    for _, k in ipairs(cjson.decode(h[3])) do
      local v = redis.call('GET', K_idem .. k)
      -- Only while the key is still this run's: an expired one may have been given to another.
      if v and select(2, idemRun(v)) == id then
        redis.call('DEL', K_idem .. k)
        redis.call('ZREM', K_idemIndex, k)
      end
    end
  end
  for _, channel in ipairs(redis.call('HKEYS', K_deliveries .. id)) do
    redis.call('ZREM', K_pending, channel .. ' ' .. id)
  end
  redis.call('DEL', K_deliveries .. id, K_events .. id, K_run .. id)
  return h[1] and 1 or 0
end

local function removeConfirmation (id)
  local owner = redis.call('HGET', K_conf .. id, 'owner')
  if not owner then return 0 end
  redis.call('ZREM', K_confs, id)
  redis.call('ZREM', K_confsOwner .. owner, id)
  redis.call('ZREM', K_confsExpiry, id)
  redis.call('DEL', K_conf .. id)
  return 1
end

-- Unfinished run ids in acceptance order.
local function unfinishedIds ()
  local all = {}
  for _, status in ipairs({ 'queued', 'running' }) do
    local z = redis.call('ZRANGE', K_status .. status, 0, -1, 'WITHSCORES')
    for i = 1, #z, 2 do all[#all + 1] = { z[i], tonumber(z[i + 1]) } end
  end
  table.sort(all, function (a, b) return a[2] < b[2] end)
  local ids = {}
  for i, entry in ipairs(all) do ids[i] = entry[1] end
  return ids
end

local function appendRuns (out, ids)
  for _, id in ipairs(ids) do
    local r = storedRun(id)
    if r then for _, v in ipairs(r) do out[#out + 1] = v end end
  end
  return out
end
`

// ARGV: prefix, id, caller, status, run, request, tokenHash, owner ('' none), now, expiresAt, ttlMs,
// finishedAt ('' none), keys (JSON array), then channel/delivery JSON pairs.
// Returns {1} created, {0, <stored run>} a live key's run, {2} the id exists already.
export const CREATE_RUN = script('createRun', `
local id, now = ARGV[2], tonumber(ARGV[9])
local keys = cjson.decode(ARGV[13])
for _, k in ipairs(keys) do
  local v = redis.call('GET', K_idem .. k)
  if v then
    local expiresAt, runId = idemRun(v)
    local existing = expiresAt > now and storedRun(runId)
    if existing then return { 0, existing[1], existing[2], existing[3], existing[4] } end
    -- Expired, or its run is gone: it protects nothing any more.
    redis.call('DEL', K_idem .. k)
    redis.call('ZREM', K_idemIndex, k)
  end
end
if redis.call('EXISTS', K_run .. id) == 1 then return { 2 } end
local seq = redis.call('INCR', K_seq)
local fields = { 'run', ARGV[5], 'request', ARGV[6], 'tokenHash', ARGV[7], 'status', ARGV[4], 'seq', seq, 'caller', ARGV[3], 'keys', ARGV[13] }
if ARGV[8] ~= '' then fields[#fields + 1] = 'owner'; fields[#fields + 1] = ARGV[8] end
redis.call('HSET', K_run .. id, unpack(fields))
redis.call('ZADD', K_runs, seq, id)
redis.call('ZADD', K_status .. ARGV[4], seq, id)
redis.call('ZADD', K_caller .. ARGV[3], seq, id)
if ARGV[12] ~= '' and not UNFINISHED[ARGV[4]] then redis.call('ZADD', K_finished, ARGV[12], id) end
for _, k in ipairs(keys) do
  redis.call('SET', K_idem .. k, ARGV[10] .. ' ' .. id, 'PX', ARGV[11])
  redis.call('ZADD', K_idemIndex, ARGV[10], k)
end
for i = 14, #ARGV, 2 do
  redis.call('HSET', K_deliveries .. id, ARGV[i], ARGV[i + 1])
  redis.call('ZADD', K_pending, seq, ARGV[i] .. ' ' .. id)
end
return { 1 }
`)

// ARGV: prefix, id. Returns 1 when there was a run.
export const DELETE_RUN = script('deleteRun', `
return removeRun(ARGV[2])
`)

// ARGV: prefix, now, keys... Returns the stored run of the first live key, or an empty array.
export const FIND_BY_KEYS = script('findByKeys', `
local now = tonumber(ARGV[2])
for i = 3, #ARGV do
  local v = redis.call('GET', K_idem .. ARGV[i])
  if v then
    local expiresAt, runId = idemRun(v)
    local r = expiresAt > now and storedRun(runId)
    if r then return r end
  end
end
return {}
`)

// ARGV: prefix, id, run, status, finishedAt ('' none). Nothing for an unknown run.
export const UPDATE_RUN = script('updateRun', `
if redis.call('EXISTS', K_run .. ARGV[2]) == 0 then return 0 end
-- A final run is never rewritten: when another process already ended it (its owner's lease lapsed
-- during a network partition), that outcome was audited and delivered, and it stands.
local current = redis.call('HGET', K_run .. ARGV[2], 'status')
if current ~= 'queued' and current ~= 'running' then return 0 end
setRun(ARGV[2], ARGV[3], ARGV[4], ARGV[5])
return 1
`)

// ARGV: prefix, id, process JSON.
export const SET_PROCESS = script('setProcess', `
if redis.call('EXISTS', K_run .. ARGV[2]) == 0 then return 0 end
redis.call('HSET', K_run .. ARGV[2], 'process', ARGV[3])
return 1
`)

// ARGV: prefix, id, keepFromSeq, then seq/event/data triples. Seqs not above the newest stored one
// are skipped, so a batch retried after a lost reply neither fails nor duplicates. Returns the new
// last seq, or 0 when nothing was added.
export const APPEND_EVENTS = script('appendEvents', `
local id, keep = ARGV[2], tonumber(ARGV[3])
if redis.call('EXISTS', K_run .. id) == 0 then return 0 end
local stream = K_events .. id
local top = topSeq(stream)
-- Nothing follows a result another process appended when it ended the run (see updateRun).
local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1]
if last ~= nil and last[2][2] == 'result' then return 0 end
local added = nil
for i = 4, #ARGV, 3 do
  local seq = tonumber(ARGV[i])
  if seq > top and seq >= keep then
    redis.call('XADD', stream, ARGV[i] .. '-0', 'e', ARGV[i + 1], 'd', ARGV[i + 2])
    top = seq
    added = ARGV[i]
  end
end
if keep > 1 then redis.call('XTRIM', stream, 'MINID', ARGV[3]) end
if added then
  publish(id, added)
  return tonumber(added)
end
return 0
`)

// ARGV: prefix, id, afterSeq, limit. Returns {reset (0/1), entries...}; the same cursor rules as the
// SQLite store: a cursor before the oldest kept event, or beyond the newest, starts over.
export const READ_EVENTS = script('readEvents', `
local stream, after, limit = K_events .. ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
if not first then return { 0 } end
local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1]
local reset = after + 1 < seqOf(first[1]) or after > seqOf(last[1])
local out = { reset and 1 or 0 }
if limit <= 0 then return out end
-- COUNT 0 would mean "no limit" to XRANGE.
local entries = redis.call('XRANGE', stream, reset and '-' or ('(' .. ARGV[3] .. '-0'), '+', 'COUNT', limit)
for _, e in ipairs(entries) do out[#out + 1] = e end
return out
`)

// ARGV: prefix, caller ('' any), status ('' any), limit, before ('' none). Returns run JSONs.
export const LIST_RUNS = script('listRuns', `
local caller, status, limit, before = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local out = {}
if limit <= 0 then return out end
local index = K_runs
if status ~= '' and caller ~= '' then
  if redis.call('ZCARD', K_status .. status) < redis.call('ZCARD', K_caller .. caller) then index = K_status .. status else index = K_caller .. caller end
elseif status ~= '' then index = K_status .. status
elseif caller ~= '' then index = K_caller .. caller end
local max, beforeId = '+inf', nil
if before ~= '' then
  local score = redis.call('ZSCORE', K_runs, before)
  -- A run no longer kept: ids sort by acceptance time, the next best order.
  if score then max = '(' .. score else beforeId = before end
end
local offset, batch = 0, 200
while #out < limit do
  local ids = redis.call('ZREVRANGEBYSCORE', index, max, '-inf', 'LIMIT', offset, batch)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    if beforeId == nil or id < beforeId then
      local h = redis.call('HMGET', K_run .. id, 'run', 'caller', 'status')
      if h[1] and (caller == '' or h[2] == caller) and (status == '' or h[3] == status) then
        out[#out + 1] = h[1]
        if #out >= limit then break end
      end
    end
  end
  offset = offset + batch
end
return out
`)

// ARGV: prefix. Returns stored runs (4 values each) still queued or running, in acceptance order.
export const UNFINISHED_RUNS = script('unfinishedRuns', `
return appendRuns({}, unfinishedIds())
`)

// ARGV: prefix, statuses... Returns their counts in the same order.
export const COUNT_BY_STATUS = script('countByStatus', `
local out = {}
for i = 2, #ARGV do out[#out + 1] = redis.call('ZCARD', K_status .. ARGV[i]) end
return out
`)

// ARGV: prefix. Returns the JSONs of pending deliveries, oldest run first.
export const PENDING_DELIVERIES = script('pendingDeliveries', `
local out = {}
for _, member in ipairs(redis.call('ZRANGE', K_pending, 0, -1)) do
  local channel, id = string.match(member, '^(%S+) (.+)$')
  local d = redis.call('HGET', K_deliveries .. id, channel)
  if d then out[#out + 1] = d end
end
return out
`)

// ARGV: prefix, runId, channel, delivery JSON, state. Nothing unless the delivery exists.
export const UPDATE_DELIVERY = script('updateDelivery', `
local id, channel = ARGV[2], ARGV[3]
if redis.call('HEXISTS', K_deliveries .. id, channel) == 0 then return 0 end
redis.call('HSET', K_deliveries .. id, channel, ARGV[4])
if ARGV[5] == 'pending' then
  redis.call('ZADD', K_pending, redis.call('HGET', K_run .. id, 'seq') or 0, channel .. ' ' .. id)
else
  redis.call('ZREM', K_pending, channel .. ' ' .. id)
end
return 1
`)

// ARGV: prefix, owner, code, expiresAt, value JSON, perOwner, total.
export const ADD_CONFIRMATION = script('addConfirmation', `
local owner = ARGV[2]
local id = redis.call('INCR', K_confSeq)
redis.call('HSET', K_conf .. id, 'owner', owner, 'code', ARGV[3], 'expiresAt', ARGV[4], 'value', ARGV[5])
redis.call('ZADD', K_confs, id, id)
redis.call('ZADD', K_confsOwner .. owner, id, id)
redis.call('ZADD', K_confsExpiry, ARGV[4], id)
local function trim (zset, keep)
  local excess = redis.call('ZCARD', zset) - keep
  if excess > 0 then
    for _, old in ipairs(redis.call('ZRANGE', zset, 0, excess - 1)) do removeConfirmation(old) end
  end
end
trim(K_confsOwner .. owner, tonumber(ARGV[6]))
trim(K_confs, tonumber(ARGV[7]))
return id
`)

// ARGV: prefix, owner, now. Returns id/code/expiresAt/value quadruples, oldest first.
export const CONFIRMATIONS_OF = script('confirmationsOf', `
local now, out = tonumber(ARGV[3]), {}
for _, id in ipairs(redis.call('ZRANGE', K_confsOwner .. ARGV[2], 0, -1)) do
  local h = redis.call('HMGET', K_conf .. id, 'code', 'expiresAt', 'value')
  if h[1] and tonumber(h[2]) > now then
    out[#out + 1] = id; out[#out + 1] = h[1]; out[#out + 1] = h[2]; out[#out + 1] = h[3]
  end
end
return out
`)

// ARGV: prefix, id. Returns 1 for the one call that removed it.
export const DELETE_CONFIRMATION = script('deleteConfirmation', `
return removeConfirmation(ARGV[2])
`)

// ARGV: prefix, key, session JSON, lastUsedAt.
export const PUT_SESSION = script('putSession', `
redis.call('HSET', K_sessions, ARGV[2], ARGV[3])
redis.call('ZADD', K_sessionsUsed, ARGV[4], ARGV[2])
return 1
`)

// ARGV: prefix, key. Returns 1 when there was one.
export const DELETE_SESSION = script('deleteSession', `
redis.call('ZREM', K_sessionsUsed, ARGV[2])
return redis.call('HDEL', K_sessions, ARGV[2])
`)

// ARGV: prefix, runsBefore, now, batch. One bounded step, so a large prune never blocks Redis for
// long: returns {runs, keys, confirmations, sessions, more (0/1)}; the caller repeats while more.
export const PRUNE = script('prune', `
local runsBefore, now, batch = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local more = 0
local function step (zset, max, each)
  local members = redis.call('ZRANGEBYSCORE', zset, '-inf', max, 'LIMIT', 0, batch)
  if #members == batch then more = 1 end
  local n = 0
  for _, m in ipairs(members) do n = n + each(m) end
  return n
end
local runs = step(K_finished, '(' .. runsBefore, function (id)
  local status = redis.call('HGET', K_run .. id, 'status')
  if status and UNFINISHED[status] then
    redis.call('ZREM', K_finished, id)
    return 0
  end
  removeRun(id, true)
  return 1
end)
local keys = step(K_idemIndex, ARGV[3], function (k)
  local v = redis.call('GET', K_idem .. k)
  if v and idemRun(v) <= now then redis.call('DEL', K_idem .. k) end
  redis.call('ZREM', K_idemIndex, k)
  return 1
end)
local confirmations = step(K_confsExpiry, ARGV[3], removeConfirmation)
local sessions = step(K_sessionsUsed, '(' .. runsBefore, function (k)
  redis.call('HDEL', K_sessions, k)
  redis.call('ZREM', K_sessionsUsed, k)
  return 1
end)
return { runs, keys, confirmations, sessions, more }
`)

// ARGV: prefix, instance id, InstanceInfo JSON, leaseMs.
export const HEARTBEAT = script('heartbeat', `
redis.call('SET', K_instance .. ARGV[2], ARGV[3], 'PX', ARGV[4])
redis.call('SADD', K_instances, ARGV[2])
return 1
`)

// ARGV: prefix, instance id.
export const LEAVE = script('leave', `
redis.call('DEL', K_instance .. ARGV[2])
redis.call('SREM', K_instances, ARGV[2])
return 1
`)

// ARGV: prefix. Returns the InstanceInfo JSONs of live leases, forgetting lapsed ones.
export const INSTANCES = script('instances', `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', K_instances)) do
  local v = redis.call('GET', K_instance .. id)
  if v then out[#out + 1] = v else redis.call('SREM', K_instances, id) end
end
return out
`)

// ARGV: prefix, id, from, to. Returns 1 when moved.
export const TRANSFER_RUN = script('transferRun', `
local h = redis.call('HMGET', K_run .. ARGV[2], 'status', 'owner')
if not h[1] or not UNFINISHED[h[1]] or h[2] ~= ARGV[3] then return 0 end
redis.call('HSET', K_run .. ARGV[2], 'owner', ARGV[4])
return 1
`)

// ARGV: prefix, id, run, status, finishedAt ('' none), instance. Returns 1 when this call claimed it.
export const CLAIM_RUN = script('claimRun', `
if redis.call('HGET', K_run .. ARGV[2], 'status') ~= 'queued' then return 0 end
setRun(ARGV[2], ARGV[3], ARGV[4], ARGV[5])
redis.call('HSET', K_run .. ARGV[2], 'owner', ARGV[6])
return 1
`)

// ARGV: prefix, QUEUE_OWNER. Returns stored runs (4 values each) whose owner holds no lease.
export const ORPHANED_RUNS = script('orphanedRuns', `
local ids = {}
for _, id in ipairs(unfinishedIds()) do
  local owner = redis.call('HGET', K_run .. id, 'owner')
  if owner ~= ARGV[2] and (not owner or redis.call('EXISTS', K_instance .. owner) == 0) then ids[#ids + 1] = id end
end
return appendRuns({}, ids)
`)

// ARGV: prefix, id, run, status, finishedAt ('' none), result event, result data JSON. The result
// takes the seq after the newest stored one. Returns its seq when this call ended the run, else 0.
export const FINISH_IF_UNFINISHED = script('finishIfUnfinished', `
local id = ARGV[2]
local status = redis.call('HGET', K_run .. id, 'status')
if not status or not UNFINISHED[status] then return 0 end
setRun(id, ARGV[3], ARGV[4], ARGV[5])
local stream = K_events .. id
local seq = string.format('%d', topSeq(stream) + 1)
redis.call('XADD', stream, seq .. '-0', 'e', ARGV[6], 'd', ARGV[7])
publish(id, seq)
return tonumber(seq)
`)

// ARGV: prefix, key, instance, runId. Returns 1 when the conversation is now this run's.
export const LOCK_CONVERSATION = script('lockConversation', `
local lock = K_conv .. ARGV[2]
local h = redis.call('HMGET', lock, 'instance', 'runId')
if h[1] and h[2] ~= ARGV[4] and redis.call('EXISTS', K_instance .. h[1]) == 1 then return 0 end
redis.call('HSET', lock, 'instance', ARGV[3], 'runId', ARGV[4])
return 1
`)

// ARGV: prefix, key. Returns {instance, runId} of a holder whose lease is live, or an empty array.
export const CONVERSATION_HOLDER = script('conversationHolder', `
local h = redis.call('HMGET', K_conv .. ARGV[2], 'instance', 'runId')
if not h[1] or redis.call('EXISTS', K_instance .. h[1]) == 0 then return {} end
return { h[1], h[2] }
`)

// ARGV: prefix, key, runId.
export const UNLOCK_CONVERSATION = script('unlockConversation', `
local lock = K_conv .. ARGV[2]
if redis.call('HGET', lock, 'runId') == ARGV[3] then redis.call('DEL', lock) end
return 1
`)
