/**
 * Which servers hold a copy of each room, as the master's webhooks need it: the
 * room is created when its first copy opens and closed when its last copy closes,
 * whatever the number of servers, and its occupancy is the sum over every copy,
 * reported by one of them (the live server with the lowest id).
 *
 * Each master keeps one entry per open room in the room's `servers` hash (keys.ts):
 * its local viewers and until when that holds (Redis time), refreshed every beat.
 * Opening and closing are one script each, so two servers opening the same room at
 * once cannot both be first, and two closing at once cannot both leave it open. A
 * server that dies stops counting when its entries expire; nothing has to notice.
 *
 * While Redis does not answer, a copy takes itself as first and last: a duplicate
 * room.created is better than none, and the receiver already sees one per room.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { roomKeys } from './keys.js';
import { type RedisConnection, runScript } from './redis-connection.js';

/** How often each master refreshes its rooms' entries, and how long an entry holds. */
export const REGISTRY_BEAT_MS = 1_000;
const ENTRY_VALID_MS = 5_000;

/** Redis time in ms, and the live entries of KEYS[1] other than ARGV[1] once expired ones are dropped. */
const PRUNE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #all, 2 do
  local untilMs = tonumber(string.match(all[i + 1], ':(%d+)$'))
  if untilMs == nil or untilMs <= now then redis.call('HDEL', KEYS[1], all[i])
  elseif all[i] ~= ARGV[1] then live[#live + 1] = all[i]; live[#live + 1] = all[i + 1] end
end
`;

/** ARGV: server id, viewers, valid ms. Returns 1 when no other server holds the room (this copy is the first). */
const OPEN = `${PRUNE}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. (now + tonumber(ARGV[3])))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
if #live == 0 then return 1 end
return 0`;

/** ARGV: server id, viewers, valid ms. Returns the other live entries, flat (id, "viewers:until"). */
const BEAT = `${PRUNE}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. (now + tonumber(ARGV[3])))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
return live`;

/** ARGV: server id. Returns 1 when no other server holds the room any more (this copy was the last). */
const CLOSE = `${PRUNE}
redis.call('HDEL', KEYS[1], ARGV[1])
if #live == 0 then return 1 end
return 0`;

interface CopyRegistryEvents {
  /** The room's viewers on every copy changed; sent only by the server that reports the room. */
  total: [room: string, viewers: number];
}

export class CopyRegistry extends EventEmitter<CopyRegistryEvents> {
  /** Each room this server holds open, with its viewers here. */
  private readonly rooms = new Map<string, { here: number; total: number; reports: boolean }>();
  private timer: NodeJS.Timeout | undefined;
  private beating = false;

  constructor(
    private readonly redis: RedisConnection,
    /** This server's entry in each room's `servers` hash; fresh per process. */
    readonly serverId: string = randomUUID(),
    private readonly beatMs = REGISTRY_BEAT_MS,
  ) {
    super();
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.beat(), this.beatMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** This server opened its copy of `room`: true when it is the room's first copy. */
  async opened(room: string): Promise<boolean> {
    this.rooms.set(room, { here: 0, total: -1, reports: false });
    const first = await this.run(OPEN, room, [this.serverId, '0', String(ENTRY_VALID_MS)]);
    return first === null || first === 1;
  }

  /** This server closed its copy of `room`: true when it was the room's last copy. */
  async closed(room: string): Promise<boolean> {
    if (!this.rooms.delete(room)) return false;
    const last = await this.run(CLOSE, room, [this.serverId]);
    return last === null || last === 1;
  }

  /** Viewers on this server's copy of `room` (sent to the others at the next beat). */
  viewers(room: string, here: number): void {
    const state = this.rooms.get(room);
    if (state !== undefined) state.here = here;
  }

  /** Refreshes this server's entries and, for the rooms it reports, emits a changed total. */
  private async beat(): Promise<void> {
    if (this.beating || !this.redis.isReady) return;
    this.beating = true;
    try {
      await Promise.all(
        [...this.rooms].map(async ([room, state]) => {
          const others = await this.run(BEAT, room, [this.serverId, String(state.here), String(ENTRY_VALID_MS)]);
          if (!Array.isArray(others) || this.rooms.get(room) !== state) return;
          let total = state.here;
          let reports = true;
          for (let i = 0; i + 1 < others.length; i += 2) {
            if (String(others[i]) < this.serverId) reports = false;
            total += Number(String(others[i + 1]).split(':')[0]) || 0;
          }
          const changed = reports && (!state.reports || total !== state.total);
          state.reports = reports;
          state.total = total;
          if (changed) this.emit('total', room, total);
        }),
      );
    } finally {
      this.beating = false;
    }
  }

  /** The script's answer, or null when Redis did not answer. */
  private async run(script: string, room: string, args: string[]): Promise<unknown> {
    try {
      return await runScript(this.redis, script, [roomKeys(room).servers], args);
    } catch {
      return null;
    }
  }
}
