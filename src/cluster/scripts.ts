/**
 * The Lua scripts that keep a room's order in Redis. A script runs atomically,
 * so the id, the shared limits and the log entry of one post are one step: two
 * copies posting at once get different ids in log order, and a post refused by a
 * limit leaves nothing behind. Time is Redis's own (TIME), the same for every copy.
 */
import type { MessageDraft, PostLimits } from '../room/engine.js';
import { LOG_MAX_ENTRIES, rateKey, ROOM_KEYS_TTL_MS, type RoomKeys, slowKey } from './keys.js';

/** PUBLISH answers "low" when fewer ids than this are left and no spare is held: the copy asks for the next block. */
const LOW_IDS = 500;

/**
 * KEYS: meta, log, rate, slow. ARGV: draft JSON, origin tag, messages per window,
 * window ms, slow ms (0: off), log max entries, keys' TTL ms, "low" threshold.
 * Returns {'OK', id, low} | {'SLOW_MODE', wait ms} | {'RATE_LIMITED', wait ms} | {'NO_IDS', 0}.
 */
export const PUBLISH = `
local meta, log, rate, slow = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local limit, windowMs, slowMs = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if slowMs > 0 then
  local ttl = redis.call('PTTL', slow)
  if ttl > 0 then return {'SLOW_MODE', ttl} end
end
redis.call('ZREMRANGEBYSCORE', rate, '-inf', now - windowMs)
if redis.call('ZCARD', rate) >= limit then
  local oldest = redis.call('ZRANGE', rate, 0, 0, 'WITHSCORES')
  return {'RATE_LIMITED', math.max(1, tonumber(oldest[2]) + windowMs - now)}
end
local m = redis.call('HMGET', meta, 'last', 'reserved', 'spare_from', 'spare_through', 'epoch')
local last, reserved = tonumber(m[1]), tonumber(m[2])
if last == nil then return {'NO_IDS', 0} end
local spare = m[3] ~= false
if last >= reserved then
  if not spare then return {'NO_IDS', 0} end
  last = tonumber(m[3]) - 1
  reserved = tonumber(m[4])
  spare = false
  redis.call('HSET', meta, 'reserved', reserved)
  redis.call('HDEL', meta, 'spare_from', 'spare_through')
end
local id = last + 1
redis.call('HSET', meta, 'last', id)
local entry = redis.call('XADD', log, 'MAXLEN', '~', ARGV[6], '*', 't', 'm', 'i', id, 'd', ARGV[1], 'o', ARGV[2], 'e', m[5])
redis.call('ZADD', rate, now, entry)
redis.call('PEXPIRE', rate, windowMs)
if slowMs > 0 then redis.call('SET', slow, '1', 'PX', slowMs) end
redis.call('PEXPIRE', log, ARGV[7])
redis.call('PEXPIRE', meta, ARGV[7])
local low = 0
if (not spare) and reserved - id < tonumber(ARGV[8]) then low = 1 end
return {'OK', id, low}
`;

/** PUBLISH's KEYS and ARGV for one post, in the order the script reads them. */
export function publishCall(keys: RoomKeys, room: string, draft: MessageDraft, tag: string, limits: PostLimits) {
  const user = draft.user.id;
  return {
    keys: [keys.meta, keys.log, rateKey(room, user), slowKey(room, user)],
    args: [
      JSON.stringify(draft),
      tag,
      String(limits.messages),
      String(limits.windowMs),
      String(limits.slowMs),
      String(LOG_MAX_ENTRIES),
      String(ROOM_KEYS_TTL_MS),
      String(LOW_IDS),
    ],
  };
}

/**
 * A block of ids reserved in the store for this one grant, (from - 1, through].
 * KEYS: meta. ARGV: from, through, floor (the highest id the granting copy has
 * seen), a fresh epoch, keys' TTL ms. A room without a counter (new, or Redis
 * came back empty) starts a new epoch at the block; otherwise the block is used
 * when the current one runs out, or kept as the spare. A block at or below what
 * the counter holds is refused (STALE): ids only grow.
 * Returns {'NEW', epoch} | {'OK', epoch} | {'FULL', epoch} | {'STALE', ''}.
 */
export const GRANT = `
local meta = KEYS[1]
local from, through, floor = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local m = redis.call('HMGET', meta, 'last', 'reserved', 'spare_from', 'epoch')
if m[1] == false then
  if from - 1 < floor then return {'STALE', ''} end
  redis.call('HSET', meta, 'last', from - 1, 'reserved', through, 'epoch', ARGV[4])
  redis.call('PEXPIRE', meta, ARGV[5])
  return {'NEW', ARGV[4]}
end
local last, reserved = tonumber(m[1]), tonumber(m[2])
if from <= reserved or from - 1 < floor then return {'STALE', m[4]} end
if last >= reserved then
  redis.call('HSET', meta, 'last', from - 1, 'reserved', through)
  return {'OK', m[4]}
end
if m[3] == false then
  redis.call('HSET', meta, 'spare_from', from, 'spare_through', through)
  return {'OK', m[4]}
end
return {'FULL', m[4]}
`;
