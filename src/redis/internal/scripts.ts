/**
 * Lua scripts run by the Redis store. Each runs atomically on the server, so
 * the hash of current restrictions and the stream of changes can never
 * disagree, and a snapshot is one consistent round trip.
 *
 * Keys, in order, for every script: the restrictions hash, the changes stream
 * and a meta hash with
 * - `epoch`: a random id naming this data set's history. If Redis comes back
 *   empty, the next write starts a new epoch and subscribers can tell that
 *   history was lost rather than mistaking it for deletions;
 * - `trimmed` / `trimmed-count`: the newest change the store trimmed from the
 *   stream and how many it trimmed, so a subscriber can tell exactly whether
 *   it missed changes (Redis itself does not record what trimming removed).
 */

// Shared helpers, prepended to each script.
const PRELUDE = `
local function field(list, name)
  for i = 1, #list, 2 do
    if list[i] == name then return list[i + 1] end
  end
  return nil
end

local function stream_info(key)
  if redis.call('EXISTS', key) == 0 then return nil end
  return redis.call('XINFO', 'STREAM', key)
end

local function last_version(key)
  local info = stream_info(key)
  if not info then return '0-0' end
  return field(info, 'last-generated-id')
end

local function current_epoch()
  return redis.call('HGET', KEYS[3], 'epoch') or ''
end

-- ARGV[1] = max stream length (0: unbounded), ARGV[2] = epoch to create if none.
-- Trims exactly (XTRIM MINID) and records what it trimmed.
local function append(op, id, doc)
  redis.call('HSETNX', KEYS[3], 'epoch', ARGV[2])
  local epoch = redis.call('HGET', KEYS[3], 'epoch')
  local version = redis.call('XADD', KEYS[2], '*', 'op', op, 'id', id, 'doc', doc, 'epoch', epoch)
  local maxlen = tonumber(ARGV[1])
  if maxlen and maxlen > 0 then
    local excess = redis.call('XLEN', KEYS[2]) - maxlen
    if excess > 0 then
      local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', excess + 1)
      redis.call('XTRIM', KEYS[2], 'MINID', oldest[excess + 1][1])
      redis.call('HSET', KEYS[3], 'trimmed', oldest[excess][1])
      redis.call('HINCRBY', KEYS[3], 'trimmed-count', excess)
    end
  end
  return version
end
`;

/**
 * ARGV: maxlen, epoch, id, doc. Returns `{'conflict', currentVersion, epoch}`
 * (nothing written) or `{'ok', version, epoch}`. The stream entry is appended before the hash is written:
 * if appending fails, the script stops with nothing changed.
 */
const PUT = `${PRELUDE}
if redis.call('HEXISTS', KEYS[1], ARGV[3]) == 1 then return {'conflict', last_version(KEYS[2]), current_epoch()} end
local version = append('put', ARGV[3], ARGV[4])
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
return {'ok', version, current_epoch()}
`;

/**
 * ARGV: maxlen, epoch, id, always. Returns `{'missing', currentVersion, epoch}`
 * or `{'ok', version, epoch}`. With `always` = '1' a missing id is still
 * appended as a delete (answered `{'missing', version, epoch}`): followers that
 * hold it from before the store lost it drop it too.
 */
const DELETE = `${PRELUDE}
if redis.call('HEXISTS', KEYS[1], ARGV[3]) == 0 then
  if ARGV[4] == '1' then return {'missing', append('delete', ARGV[3], ''), current_epoch()} end
  return {'missing', last_version(KEYS[2]), current_epoch()}
end
local version = append('delete', ARGV[3], '')
redis.call('HDEL', KEYS[1], ARGV[3])
return {'ok', version, current_epoch()}
`;

/**
 * ARGV: maxlen, epoch, then id/doc pairs. Writes back every document whose id
 * is absent (all in one step). Returns `{version, epoch, written...}`.
 */
/**
 * Keys: restrictions hash, stream, meta, exemptions hash. ARGV: maxlen,
 * epoch, the number of restriction (id, doc) pairs, those pairs, then
 * exemption (id, doc) pairs. Writes back every one whose id is missing, in
 * one atomic step, restrictions first (an exemption names one). Returns
 * `{version, epoch, restrictionsWritten, ids written...}`.
 */
const RESEED = `${PRELUDE}
local written = {}
local version = nil
local function write_missing(hash, op, from, to)
  for i = from, to, 2 do
    if redis.call('HEXISTS', hash, ARGV[i]) == 0 then
      version = append(op, ARGV[i], ARGV[i + 1])
      redis.call('HSET', hash, ARGV[i], ARGV[i + 1])
      written[#written + 1] = ARGV[i]
    end
  end
end
local last = 3 + 2 * tonumber(ARGV[3])
write_missing(KEYS[1], 'put', 4, last)
local restrictions = #written
write_missing(KEYS[4], 'exempt', last + 1, #ARGV)
if not version then version = last_version(KEYS[2]) end
table.insert(written, 1, tostring(restrictions))
table.insert(written, 1, current_epoch())
table.insert(written, 1, version)
return written
`;

/** Returns `{version, epoch, hgetall...}`: the whole set and the version it corresponds to. */
const SNAPSHOT = `${PRELUDE}
local result = redis.call('HGETALL', KEYS[1])
table.insert(result, 1, current_epoch())
table.insert(result, 1, last_version(KEYS[2]))
return result
`;

/**
 * ARGV[1]: the version a subscriber wants to follow from; ARGV[2]: an epoch to
 * create if there is none yet (so a subscriber that has seen no change yet
 * still notices when Redis later comes back empty). Returns
 * `{lastVersion, length, entriesAdded, firstVersion, fromPresent, epoch,
 * trimmed, trimmedCount}` so the subscriber can tell whether it can continue,
 * must resync (entries after its version were trimmed) or the store went
 * backwards. `entriesAdded` is -1 on Redis versions that do not report it.
 */
const STATE = `${PRELUDE}
redis.call('HSETNX', KEYS[3], 'epoch', ARGV[2])
local epoch = current_epoch()
local trimmed = redis.call('HGET', KEYS[3], 'trimmed') or '0-0'
local trimmed_count = tonumber(redis.call('HGET', KEYS[3], 'trimmed-count') or 0)
local info = stream_info(KEYS[2])
if not info then return {'0-0', 0, 0, '0-0', 0, epoch, trimmed, trimmed_count} end
local first = field(info, 'first-entry')
local first_version = '0-0'
if type(first) == 'table' and first[1] then first_version = first[1] end
local added = tonumber(field(info, 'entries-added') or -1)
local present = #redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1])
return {field(info, 'last-generated-id'), field(info, 'length'), added, first_version, present, epoch, trimmed, trimmed_count}
`;

/**
 * Exemptions (keys: the exemptions hash, the changes stream, meta): one more
 * kind of change in the same stream, written with the hash in one atomic
 * step. ARGV: maxlen, epoch, id, doc. Returns `{'conflict', currentVersion,
 * epoch}` (nothing written) or `{'ok', version, epoch}`.
 */
const PUT_EXEMPTION = `${PRELUDE}
if redis.call('HEXISTS', KEYS[1], ARGV[3]) == 1 then return {'conflict', last_version(KEYS[2]), current_epoch()} end
local version = append('exempt', ARGV[3], ARGV[4])
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
return {'ok', version, current_epoch()}
`;

/** ARGV: maxlen, epoch, id. Returns `{'missing', currentVersion, epoch}` or `{'ok', version, epoch}`. */
const DELETE_EXEMPTION = `${PRELUDE}
if redis.call('HEXISTS', KEYS[1], ARGV[3]) == 0 then return {'missing', last_version(KEYS[2]), current_epoch()} end
local version = append('revoke', ARGV[3], '')
redis.call('HDEL', KEYS[1], ARGV[3])
return {'ok', version, current_epoch()}
`;

/**
 * Keys: restrictions hash, stream, meta, exemptions hash. Returns `{version,
 * epoch, restrictionFieldCount, hgetall(restrictions)..., hgetall(exemptions)...}`:
 * both sets at one version, in one consistent round trip.
 */
const SNAPSHOT_ALL = `${PRELUDE}
local result = redis.call('HGETALL', KEYS[1])
local count = #result
local exemptions = redis.call('HGETALL', KEYS[4])
for i = 1, #exemptions do result[#result + 1] = exemptions[i] end
table.insert(result, 1, tostring(count))
table.insert(result, 1, current_epoch())
table.insert(result, 1, last_version(KEYS[2]))
return result
`;

/** Script names as defined on ioredis connections (namespaced: a caller's client may carry its own). */
export const SCRIPTS = {
  geoadmitPut: PUT,
  geoadmitDelete: DELETE,
  geoadmitSnapshot: SNAPSHOT,
  geoadmitState: STATE,
  geoadmitPutExemption: PUT_EXEMPTION,
  geoadmitDeleteExemption: DELETE_EXEMPTION,
} as const;

/** Scripts over four keys (the three above and the exemptions hash). */
export const SCRIPTS_4 = { geoadmitSnapshotAll: SNAPSHOT_ALL, geoadmitReseed: RESEED } as const;
