/** Lua scripts of the store's fleet membership (see fleet.ts). */

/**
 * KEYS[1]: the members hash. ARGV: nodeId, figures (JSON), forget-after
 * milliseconds. Records `<server ms> <figures>` for the member and forgets
 * members unheard of for longer than that. Returns the server's time.
 */
const ANNOUNCE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d', now) .. ' ' .. ARGV[2])
local forget = tonumber(ARGV[3])
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local seen = tonumber(string.match(all[i + 1], '^(%d+) '))
  if not seen or now - seen > forget then redis.call('HDEL', KEYS[1], all[i]) end
end
return now
`;

/** KEYS[1]: the members hash. Returns `{server ms, nodeId, value, ...}`. */
const MEMBERS = `
local t = redis.call('TIME')
local result = redis.call('HGETALL', KEYS[1])
table.insert(result, 1, string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
return result
`;

/** KEYS[1]: the members hash; ARGV[1]: the member leaving. */
const LEAVE = `return redis.call('HDEL', KEYS[1], ARGV[1])`;

/** Fleet scripts as defined on ioredis connections (one key each). */
export const FLEET_SCRIPTS = { geoadmitAnnounce: ANNOUNCE, geoadmitMembers: MEMBERS, geoadmitLeave: LEAVE } as const;
