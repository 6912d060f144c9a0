/**
 * A room worker's entry point. The worker boots, says `booted`, and waits for the
 * master's `open` with the room's name and port; from then on it answers the
 * master's requests (src/protocol/room-messages.ts) for the life of the room.
 * It never exits by itself: the master stops it.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import {
  type FromRoom,
  isReplyErrorCode,
  type ReplyErrorCode,
  type RoomNotice,
  type RoomNoticeHandlers,
  type RoomRequest,
  type RoomRequestHandlers,
  type RoomRequests,
  type RoomRequestType,
  type RoomStats,
  type RoomWorkerData,
  type StatsReader,
  type ToRoom,
} from '../protocol/room-messages.js';
import { RoomBudget } from './connection-budget.js';
import type { RedisEngine as RedisEngineClass } from '../cluster/redis-engine.js';
import type { Engine } from './engine.js';
import { LocalEngine } from './local-engine.js';
import { RecordBatcher } from './record-batcher.js';
import { type RoomLog, RoomServer } from './room-server.js';

if (parentPort === null) throw new Error('src/room/worker.ts runs only as a worker thread');
const port = parentPort;
const { access, limits, budget: share, cluster } = workerData as RoomWorkerData;
const budget = new RoomBudget(share);
/**
 * Loaded only in a cluster, before the worker says `booted`: the Redis client is about
 * 4 MB of every worker's memory, which a room on a single server never needs.
 */
const RedisEngine: typeof RedisEngineClass | null =
  cluster === undefined ? null : (await import('../cluster/redis-engine.js')).RedisEngine;

const post = (message: FromRoom) => port.postMessage(message);
const log: RoomLog = (level, message, meta) =>
  post(meta ? { type: 'log', level, message, meta } : { type: 'log', level, message });

/**
 * A running event-loop delay histogram. Its table spans every delay a 64-bit count
 * of nanoseconds can hold, about 0.45 MB, and the first reset() (at the first
 * stats read or scrape) makes all of it resident. Each reader keeps its one
 * histogram for the room's life all the same: a fresh one per read would leave the
 * old one's table to be freed only when V8 collects its small wrapper, which an
 * idle room seldom does (Node does not tell V8 about that memory), so every scrape
 * would add 0.45 MB per room until a full collection.
 */
function loopDelayMonitor(): IntervalHistogram {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return histogram;
}

/** Event-loop delay since each reader's last read (see RoomRequests.stats). */
const loopDelay: Record<StatsReader, IntervalHistogram> = { stats: loopDelayMonitor(), scrape: loopDelayMonitor() };

let server: RoomServer | null = null;
let roomPort = 0;
let records: RecordBatcher | null = null;
/** The engine's side of the master's notices (both engines take them). */
type NoticedEngine = Engine & Pick<LocalEngine, 'grantIds' | 'setWritable' | 'committed'>;
let engine: NoticedEngine | null = null;

/** A reply error with one of the protocol's codes (replyErrorCodes). */
function replyError(code: ReplyErrorCode, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function open(): RoomServer {
  if (server === null) throw replyError('NO_ROOM', 'No room is open in this worker');
  return server;
}

const requests: RoomRequestHandlers = {
  ping: async () => ({}),
  open: async (request) => {
    if (server !== null) throw replyError('ALREADY_OPEN', 'This worker already holds a room');
    const name = request.name;
    const batcher = new RecordBatcher((batch) => post({ type: 'records', room: name, batch }));
    const restore = request.restore;
    // Ids go on after the last one the store knows, and after every restored message.
    const windowLast = Math.max(0, ...(restore?.window.map((m) => m.message.id) ?? []));
    const lastId = Math.max(restore?.lastId ?? 0, windowLast);
    let redis: RedisEngineClass | null = null;
    if (RedisEngine !== null && cluster !== undefined) {
      // In a cluster the room's shared counter gives ids: this copy continues from what it holds.
      redis = new RedisEngine({
        room: name,
        cluster,
        sink: batcher,
        writable: request.writable,
        lastId: windowLast,
        backlog: Math.max(limits.recoveryWindow, limits.historyOnJoin),
        requestIds: () => post({ type: 'needIds', room: name }),
        log,
      });
    }
    const chosen: NoticedEngine =
      redis ?? new LocalEngine(batcher, { lastId, ids: request.ids, writable: request.writable });
    // Notices that arrive while the listener opens (more ids, writability) are not lost.
    engine = chosen;
    const opening = new RoomServer(
      name,
      limits,
      access,
      chosen,
      {
        viewers: (viewers) => post({ type: 'viewers', viewers }),
        closing: (reason) => post({ type: 'closing', reason }),
        debit: (request) => post({ type: 'debit', request }),
        tipped: (tip) => post({ type: 'tipped', tip }),
        pinned: (pin) => post({ type: 'pin', room: name, pin }),
      },
      log,
      budget,
    );
    if (restore !== undefined) opening.room.restore(redis === null ? restore : { ...restore, lastId: windowLast });
    try {
      if (redis !== null) await redis.open();
      roomPort = await opening.listen(request.port);
    } catch (error) {
      // The master tries the next port with this worker: leave nothing running.
      engine = null;
      await opening.close('could not listen');
      await chosen.stop();
      throw error;
    }
    records = batcher;
    server = opening;
    return { port: roomPort };
  },
  stats: async ({ reader }) => stats(open(), reader === 'scrape' ? 'scrape' : 'stats'),
  broadcast: async ({ text, ts }) => ({ delivered: open().room.admin.systemMessage(text, ts) }),
  kick: async ({ user, reason }) => ({ closed: open().room.admin.kick(user, reason || 'Kicked') }),
  settings: async ({ patch, shield }) => ({ settings: open().room.admin.settings(patch, shield) }),
  close: async ({ reason, everywhere }) => {
    const s = open();
    if (everywhere === true) s.room.admin.announceClose(reason);
    const closing = s.close(reason);
    // The room accepts nothing more once closing has begun: hand the master its
    // last records now, before waiting on slow clients, and again before the reply.
    records?.flush();
    const closed = await closing;
    records?.flush();
    await engine?.stop();
    return { closed };
  },
};

const notices: RoomNoticeHandlers = {
  cache: (cache) => server?.room.applyCache(cache),
  committed: ({ through }) => engine?.committed(through),
  ids: (ids) => engine?.grantIds(ids),
  writable: (writable) => engine?.setWritable(writable),
  debited: (answer) => server?.room.extras.debited(answer),
};

function stats(s: RoomServer, reader: StatsReader): RoomStats {
  const delay = loopDelay[reader];
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const result: RoomStats = {
    name: s.room.name,
    port: roomPort,
    viewers: s.room.viewers,
    chatters: s.room.chatters,
    messages: s.room.messages,
    createdAt: s.room.createdAt.toISOString(),
    heapUsedBytes: getHeapStatistics().used_heap_size,
    eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
    settings: s.room.settings,
    counters: s.room.counters.snapshot(),
  };
  delay.reset();
  return result;
}

function answer<K extends RoomRequestType>(request: RoomRequest & { type: K }): void {
  const handler = requests[request.type] as (args: RoomRequest) => Promise<RoomRequests[K]['result']>;
  handler(request).then(
    (result) => post({ type: 'reply', id: request.id, ok: true, result }),
    (error: unknown) => {
      const e = error as NodeJS.ErrnoException;
      const code = isReplyErrorCode(e.code) ? e.code : 'ROOM_ERROR';
      post({ type: 'reply', id: request.id, ok: false, error: { code, message: e.message ?? String(error) } });
    },
  );
}

port.on('message', (message: ToRoom) => {
  if ('id' in message) answer(message);
  else (notices[message.type] as (notice: RoomNotice) => void)(message);
});

post({ type: 'booted' });
