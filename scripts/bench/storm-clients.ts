/**
 * The reconnect storm's clients, inside a load generator process: chatserver
 * connections that join, keep the last message id they saw, and on command all
 * drop at once and come back the way the SDK does, with its own reconnect
 * schedule (src/client/reconnect.ts): the first attempt at a random moment of
 * the rejoin window the room named last (welcome or presence; without one,
 * after the backoff's first delay), a 503 answered by waiting its Retry-After
 * plus jitter, any other failure by the exponential backoff, and every join with
 * `since` and the guest token of the last welcome. Each client checks its
 * welcome: `recovered:true` and a history of every id after `since`, in order,
 * nothing missing.
 */
import { performance } from 'node:perf_hooks';
import { ReconnectSchedule } from '../../src/client/reconnect.js';
import type { StormJoinCommand, StormRejoinCommand, StormResult, StormState } from './loadgen-protocol.js';
import { RawWs, UpgradeRefused } from './raw-ws.js';

interface StormClient {
  name: string;
  conn: RawWs | null;
  lastId: number;
  /** The rejoin window the room named last (welcome, presence): the SDK spreads its first retry over it. */
  rejoinWindowMs?: number;
  /** The guest token of the last welcome, sent again as the SDK does: the same guest comes back. */
  guestToken?: string;
}

interface Welcome {
  recovered?: boolean;
  history: Array<{ id: number }>;
  rejoinWindowMs?: number;
  guestToken?: string;
}

interface Storm {
  clients: StormClient[];
}

const storms = new Map<string, Storm>();
const CONNECT_CONCURRENCY = 50;
/** As the SDK's connectTimeoutMs: an attempt without a welcome by then is dropped and retried. */
const WELCOME_TIMEOUT_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens one connection, joins (with `since` when given) and resolves with the welcome; `admitted` on the 101.
 *
 * No source address is bound: binding one before connect makes the kernel search for a port no socket
 * on it holds, and after the drop the old ports sit in TIME_WAIT, so each bind of a rejoin scanned for
 * longer (up to a few ms of the load generators' CPU, on the cores the room shares), and every failed
 * attempt left one more: storms spiralled into thousands of failed attempts (docs/benchmarks.md, NOTES).
 * A plain connect picks a port per destination and may reuse TIME_WAIT ports on loopback; the storm's
 * 10,000 connections and the TIME_WAIT of its drop fit in one address's ports. (Not ports bound
 * explicitly and still in TIME_WAIT, as the big room's are for 60 s after it: run.ts waits them out.)
 */
function join(
  client: StormClient,
  port: number,
  since: number | undefined,
  admitted: () => void = () => undefined,
): Promise<Welcome> {
  return new Promise((resolve, reject) => {
    let welcomed = false;
    let timer: NodeJS.Timeout | undefined;
    RawWs.open(
      port,
      '/',
      {
        message(_conn, text) {
          for (const line of text.split('\n')) {
            const frame = JSON.parse(line) as { type: string; id?: number } & Welcome;
            if (frame.type === 'message' && frame.id! > client.lastId) client.lastId = frame.id!;
            if (frame.type === 'presence') client.rejoinWindowMs = frame.rejoinWindowMs;
            if (frame.type === 'welcome' && !welcomed) {
              welcomed = true;
              clearTimeout(timer);
              for (const m of frame.history) client.lastId = Math.max(client.lastId, m.id);
              client.rejoinWindowMs = frame.rejoinWindowMs;
              client.guestToken = frame.guestToken ?? client.guestToken;
              resolve(frame);
            }
          }
        },
        close() {
          clearTimeout(timer);
          if (!welcomed) reject(new Error('closed before the welcome'));
        },
      },
      WELCOME_TIMEOUT_MS,
    ).then((conn) => {
      admitted();
      client.conn = conn;
      const frame: Record<string, unknown> = { type: 'join', name: client.name };
      if (client.guestToken !== undefined) frame.guestToken = client.guestToken;
      if (since !== undefined) frame.since = since;
      conn.send(JSON.stringify(frame));
      timer = setTimeout(() => {
        conn.close();
        reject(new Error('no welcome in time'));
      }, WELCOME_TIMEOUT_MS);
    }, reject);
  });
}

export async function stormJoin(cmd: StormJoinCommand): Promise<StormState> {
  const storm: Storm = storms.get(cmd.group) ?? { clients: [] };
  storms.set(cmd.group, storm);
  const fresh = Array.from({ length: cmd.clients }, (_, i) => ({
    name: `${cmd.group}-${storm.clients.length + i}`,
    conn: null,
    lastId: 0,
  }));
  let next = 0;
  const worker = async () => {
    while (next < fresh.length) {
      const client = fresh[next++]!;
      for (;;) {
        try {
          await join(client, cmd.port, undefined);
          break;
        } catch (error) {
          // Joining faster than the room admits: wait as told, as the SDK would.
          if (!(error instanceof UpgradeRefused) || error.status !== 503) throw error;
          await sleep(Number(error.headers['retry-after'] ?? 1) * 1000);
        }
      }
      storm.clients.push(client);
    }
  };
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker));
  return stormState(cmd.group);
}

export function stormState(group: string): StormState {
  const clients = storms.get(group)?.clients ?? [];
  const joined = clients.filter((c) => c.conn !== null && !c.conn.closed);
  const ids = joined.map((c) => c.lastId);
  return { joined: joined.length, minLastId: Math.min(...ids), maxLastId: Math.max(...ids) };
}

/** Whether a recovery holds every id after `since`, in order (ids within a room are dense). */
function complete(welcome: Welcome, since: number): boolean {
  if (welcome.recovered !== true) return false;
  return welcome.history.every((m, i) => m.id === since + 1 + i);
}

export async function stormRejoin(cmd: StormRejoinCommand): Promise<StormResult> {
  const storm = storms.get(cmd.group);
  if (!storm) throw new Error(`no storm group ${cmd.group}`);
  const result: StormResult = {
    clients: storm.clients.length,
    recoveredMs: [],
    refused503: 0,
    otherFailures: 0,
    wrongHistory: 0,
    notBack: 0,
    firstAdmittedMs: null,
    lastAdmittedMs: null,
  };
  const t0 = performance.now();
  // The drop: every connection at once, as a network blip does.
  for (const client of storm.clients) {
    client.conn?.close();
    client.conn = null;
  }
  const admitted = () => {
    const at = performance.now() - t0;
    result.firstAdmittedMs ??= at;
    result.lastAdmittedMs = at;
  };
  const comeBack = async (client: StormClient): Promise<void> => {
    const retries = new ReconnectSchedule(); // the SDK's: its default backoff, Math.random
    retries.rejoinWindow(client.rejoinWindowMs);
    let wait = retries.next().delayMs; // the first retry after a drop
    while (performance.now() - t0 + wait < cmd.timeoutMs) {
      await sleep(wait);
      try {
        const welcome = await join(client, cmd.port, cmd.since, admitted);
        if (complete(welcome, cmd.since)) result.recoveredMs.push(performance.now() - t0);
        else result.wrongHistory += 1;
        client.conn!.mode = 'discard'; // back and checked: what follows is not this scenario's to count
        return;
      } catch (error) {
        const retryAfterS =
          error instanceof UpgradeRefused && error.status === 503 ? Number(error.headers['retry-after']) : NaN;
        if (Number.isFinite(retryAfterS)) {
          result.refused503 += 1;
          retries.refused(retryAfterS * 1000);
        } else {
          result.otherFailures += 1;
        }
        wait = retries.next().delayMs;
      }
    }
    result.notBack += 1;
  };
  await Promise.all(storm.clients.map(comeBack));
  return result;
}
