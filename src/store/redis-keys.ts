// Every key the Redis store uses, relative to its prefix (config `redis.prefix`, default `hookgate:`).
// The Lua scripts build the same names from LUA_KEYS, generated from this one table, so the client
// and the scripts cannot drift apart. Scripts derive per-run keys from ids inside Redis, which a
// single server allows and Redis Cluster does not: the store needs a standalone server (or a
// replicated primary), not a cluster.
//
//   seq                       INCR counter: acceptance order of runs
//   run:<id>                  hash: run, request, tokenHash, process (JSON), owner, status, seq,
//                             caller, keys (JSON array of its idempotency keys)
//   runs                      zset seq -> id: every run
//   status:<status>           zset seq -> id: runs by status (ZCARD is countByStatus; queued and
//                             running are the unfinished ones)
//   caller:<caller>           zset seq -> id
//   finished                  zset finished_at ms -> id: final runs, for prune
//   events:<id>               stream, entry id `<seq>-0`, fields e (event) and d (data JSON)
//   idem:<key>                string "<expiresAt> <runId>", expiring on its own (PX) a little after
//                             expiresAt; the stored expiresAt, not the TTL, decides whether it counts
//   idem                      zset expiresAt -> key: what prune removes and counts
//   deliveries:<id>           hash channel -> StoredDelivery JSON
//   pending                   zset run seq -> "<channel> <runId>": deliveries in state pending
//   conf:seq                  INCR counter: confirmation ids
//   conf:<n>                  hash: owner, code, expiresAt, value (JSON)
//   confs                     zset id -> id: all confirmations (the `total` bound)
//   confs:owner:<owner>       zset id -> id (the `perOwner` bound)
//   confs:expiry              zset expiresAt -> id
//   sessions                  hash key -> StoredSession JSON
//   sessions:used             zset lastUsedAt -> key
//   probe                     string with a short expiry, written by probe()
//   instance:<id>             string InstanceInfo JSON with the lease as its expiry (PX)
//   instances                 set of instance ids ever seen (pruned when their key is gone)
//   conv:<key>                hash: instance, runId (the conversation lock)
// Pub/sub channel `<prefix>events`: "<runId> <lastSeq>" after every append.

export const KEYS = {
  seq: 'seq',
  run: 'run:',
  runs: 'runs',
  status: 'status:',
  caller: 'caller:',
  finished: 'finished',
  events: 'events:',
  idem: 'idem:',
  idemIndex: 'idem',
  deliveries: 'deliveries:',
  pending: 'pending',
  confSeq: 'conf:seq',
  conf: 'conf:',
  confs: 'confs',
  confsOwner: 'confs:owner:',
  confsExpiry: 'confs:expiry',
  sessions: 'sessions',
  sessionsUsed: 'sessions:used',
  probe: 'probe',
  instance: 'instance:',
  instances: 'instances',
  conv: 'conv:',
  eventsChannel: 'events'
} as const

export type KeyName = keyof typeof KEYS

/** Key (or key prefix, for the names ending in `:`) `name` under `prefix`. */
export function key (prefix: string, name: KeyName, id = ''): string {
  return prefix + KEYS[name] + id
}

/** Lua locals `K_<name>` holding the same names, for a script whose ARGV[1] is the prefix. */
export const LUA_KEYS = Object.entries(KEYS)
  .map(([name, value]) => `local K_${name} = ARGV[1] .. '${value}'`)
  .join('\n')
