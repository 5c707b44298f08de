/**
 * Lua scripts run by the Redis store. Each runs atomically on the server, so
 * the hash of current restrictions and the stream of changes can never
 * disagree, and a snapshot is one consistent round trip.
 *
 * Keys, in order, for every script: the restrictions hash, the changes stream,
 * the epoch string (a random id naming this data set's history: if Redis
 * comes back empty, the next write starts a new epoch and subscribers can tell
 * that history was lost rather than mistaking it for deletions).
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
  return redis.call('GET', KEYS[3]) or ''
end

-- ARGV[1] = max stream length (0: unbounded), ARGV[2] = epoch to create if none.
local function append(op, id, doc)
  redis.call('SET', KEYS[3], ARGV[2], 'NX')
  local epoch = redis.call('GET', KEYS[3])
  local maxlen = tonumber(ARGV[1])
  if maxlen and maxlen > 0 then
    return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'op', op, 'id', id, 'doc', doc, 'epoch', epoch)
  end
  return redis.call('XADD', KEYS[2], '*', 'op', op, 'id', id, 'doc', doc, 'epoch', epoch)
end
`;

/**
 * ARGV: maxlen, epoch, id, doc. Returns `{'conflict'}` (nothing written) or
 * `{'ok', version}`. The stream entry is appended before the hash is written:
 * if appending fails, the script stops with nothing changed.
 */
export const PUT = `${PRELUDE}
if redis.call('HEXISTS', KEYS[1], ARGV[3]) == 1 then return {'conflict'} end
local version = append('put', ARGV[3], ARGV[4])
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
return {'ok', version}
`;

/** ARGV: maxlen, epoch, id. Returns `{'missing', currentVersion}` or `{'ok', version}`. */
export const DELETE = `${PRELUDE}
if redis.call('HEXISTS', KEYS[1], ARGV[3]) == 0 then return {'missing', last_version(KEYS[2])} end
local version = append('delete', ARGV[3], '')
redis.call('HDEL', KEYS[1], ARGV[3])
return {'ok', version}
`;

/**
 * ARGV: maxlen, epoch, then id/doc pairs. Writes back every document whose id
 * is absent (all in one step). Returns `{version, written...}`.
 */
export const RESEED = `${PRELUDE}
local written = {}
local version = nil
for i = 3, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 0 then
    version = append('put', ARGV[i], ARGV[i + 1])
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    written[#written + 1] = ARGV[i]
  end
end
if not version then version = last_version(KEYS[2]) end
table.insert(written, 1, version)
return written
`;

/** Returns `{version, epoch, hgetall...}`: the whole set and the version it corresponds to. */
export const SNAPSHOT = `${PRELUDE}
local result = redis.call('HGETALL', KEYS[1])
table.insert(result, 1, current_epoch())
table.insert(result, 1, last_version(KEYS[2]))
return result
`;

/**
 * ARGV[1]: the version a subscriber wants to follow from. Returns
 * `{lastVersion, length, entriesAdded, firstVersion, fromPresent, epoch}` so
 * the subscriber can tell whether it can continue, must resync (entries after
 * its version were trimmed) or the store went backwards. `entriesAdded` is -1
 * on Redis versions that do not report it.
 */
export const STATE = `${PRELUDE}
local epoch = current_epoch()
local info = stream_info(KEYS[2])
if not info then return {'0-0', 0, 0, '0-0', 0, epoch} end
local first = field(info, 'first-entry')
local first_version = '0-0'
if type(first) == 'table' and first[1] then first_version = first[1] end
local added = tonumber(field(info, 'entries-added') or -1)
local present = #redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1])
return {field(info, 'last-generated-id'), field(info, 'length'), added, first_version, present, epoch}
`;

/** Script names as defined on ioredis connections (namespaced: a caller's client may carry its own). */
export const SCRIPTS = {
  geoadmitPut: PUT,
  geoadmitDelete: DELETE,
  geoadmitReseed: RESEED,
  geoadmitSnapshot: SNAPSHOT,
  geoadmitState: STATE,
} as const;
