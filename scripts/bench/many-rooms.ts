/**
 * A server of this machine with many idle rooms (200 by default): rooms created one
 * after another on a cold pool (ROOM_WARM_WORKERS=0, so only rooms grow the process),
 * then the server's RSS once they are all open and idle. Runs once per full run, and
 * with --only=rooms; --many-rooms=N shrinks it for a trial.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { rssBytes } from './proc.js';
import { startChatserver } from './servers.js';

export const MANY_ROOMS = 200;
/** Below Linux's ephemeral range (32768+), like the bench's other room ports, and wide enough for every room. */
const PORTS = { min: 32100, max: 32499 };

export interface ManyRoomsResult {
  rooms: number;
  /** The server's RSS before the first room and with every room open and idle. */
  rssEmpty: number;
  rssIdle: number;
  /** (rssIdle − rssEmpty) / rooms. */
  bytesPerRoom: number;
  createMedianMs: number;
  createMaxMs: number;
}

export async function manyRooms(count: number = MANY_ROOMS): Promise<ManyRoomsResult> {
  if (count > PORTS.max - PORTS.min + 1) throw new Error(`at most ${PORTS.max - PORTS.min + 1} rooms`);
  const server = await startChatserver({
    MAX_ROOMS: String(count),
    ROOM_WARM_WORKERS: '0',
    ROOM_PORT_MIN: String(PORTS.min),
    ROOM_PORT_MAX: String(PORTS.max),
  });
  try {
    await sleep(1_500);
    const rssEmpty = rssBytes(server.pid);
    const createMs: number[] = [];
    for (let i = 0; i < count; i++) createMs.push((await server.createRoom(`many${i}`)).ms);
    await sleep(3_000); // every room's start-up garbage has a chance to be collected
    const rssIdle = rssBytes(server.pid);
    createMs.sort((a, b) => a - b);
    const result: ManyRoomsResult = {
      rooms: count,
      rssEmpty,
      rssIdle,
      bytesPerRoom: (rssIdle - rssEmpty) / count,
      createMedianMs: createMs[Math.floor(count / 2)]!,
      createMaxMs: createMs[count - 1]!,
    };
    console.log(
      `  ${count} idle rooms: server RSS ${(rssIdle / 1e6).toFixed(0)} MB (${(rssEmpty / 1e6).toFixed(0)} MB empty), ` +
        `${(result.bytesPerRoom / 1e6).toFixed(1)} MB per room; create-to-ready median ${result.createMedianMs.toFixed(0)} ms`,
    );
    return result;
  } finally {
    await server.stop();
  }
}
