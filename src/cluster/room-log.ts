/**
 * The room's stream (`log` in keys.ts) as one copy uses it: acts and controls
 * appended as they come (a post goes in through the PUBLISH script instead), and
 * every entry read back in stream order on a connection of its own, blocked in
 * XREAD from the last entry read, so a copy that lost Redis resumes where it was.
 * Apart from the engine because the cursor, the backlog read on opening and the
 * appends still in flight at a stop are about the stream; what an entry means is
 * the engine's, which is handed each one.
 */
import { LOG_MAX_ENTRIES, ROOM_KEYS_TTL_MS, type RoomKeys } from './keys.js';
import { pause, type RedisConnection, UNREACHABLE, withTimeout } from './redis-connection.js';

/** XREAD blocks this long per call; the socket timeout catches a Redis that stopped answering. */
const READ_BLOCK_MS = 2_000;
export const SOCKET_TIMEOUT_MS = READ_BLOCK_MS + 3_000;
const READ_COUNT = 1_000;

/** One stream entry as XREAD / XRANGE answer it: [id, [field, value, …]]. */
type RawEntry = [string, string[]];

/** An entry's fields by name: t (m message, a act, c control), d data, o origin tag; a message's i id and e epoch. */
export type EntryFields = Record<string, string>;

export interface LogListener {
  /** What catching up found in the room's counter: whether it holds ids, and its epoch (null: none). */
  counter(ready: boolean, epoch: string | null): void;
  /** One entry, in stream order; `replay`: from the backlog read when the copy has not read the log yet. */
  entry(entryId: string, fields: EntryFields, replay: boolean): void;
  /** A command failed: Redis is unreachable or did not answer. */
  error(error: Error): void;
}

export interface RoomLogOptions {
  keys: RoomKeys;
  /** The connection for commands (shared with the rest of the copy). */
  cmd: RedisConnection;
  /** The connection that blocks in XREAD (the reader's alone). */
  reader: RedisConnection;
  /** Tags this copy's appends (the `o` field). */
  copyId: string;
  /** How many entries a copy that has not read the log yet reads back. */
  backlog: number;
  listener: LogListener;
}

export class RoomLog {
  /** The last stream entry read (null: read the backlog first). */
  private cursor: string | null = null;
  private stopped = false;
  private reading: Promise<void> | null = null;
  private readonly appending = new Set<Promise<void>>();

  constructor(private readonly options: RoomLogOptions) {}

  /** Starts the read loop; it waits while the reader's connection is down. */
  startReading(): void {
    this.reading = this.readLoop();
  }

  /** Ends the read loop (once its connection is closed) and waits for the appends in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.appending]);
  }

  /** Settles once the read loop has ended. */
  async finished(): Promise<void> {
    await this.reading;
  }

  /** An act ('a') or a control ('c'), appended with its data. */
  append(type: 'a' | 'c', data: string): Promise<void> {
    const appending = this.appendNow(type, data);
    // stop() waits for these: a room's last act or its close announcement is not cut off.
    this.appending.add(appending);
    void appending.finally(() => this.appending.delete(appending)).catch(() => undefined);
    return appending;
  }

  /** The room's recent entries when this copy has not read its log yet (just opened). */
  async catchUp(): Promise<void> {
    const { cmd, keys, listener } = this.options;
    const [meta, backlog] = (await Promise.all([
      cmd.sendCommand(['HMGET', keys.meta, 'last', 'epoch']),
      cmd.sendCommand(['XREVRANGE', keys.log, '+', '-', 'COUNT', String(this.options.backlog)]),
    ])) as unknown as [Array<string | null>, RawEntry[]];
    listener.counter(meta[0] !== null, meta[1] ?? null);
    // Replayed: messages this copy has not got, and acts (applying one twice changes nothing more); not controls.
    for (const entry of backlog.reverse()) this.take(entry, true);
    this.cursor ??= backlog.at(-1)?.[0] ?? '0-0';
  }

  private async readLoop(): Promise<void> {
    const { reader, keys } = this.options;
    while (!this.stopped) {
      if (!reader.isReady) {
        await pause(50);
        continue;
      }
      try {
        if (this.cursor === null) {
          await this.catchUp();
          continue;
        }
        const reply = (await reader.sendCommand([
          'XREAD',
          'COUNT',
          String(READ_COUNT),
          'BLOCK',
          String(READ_BLOCK_MS),
          'STREAMS',
          keys.log,
          this.cursor,
        ])) as Array<[string, RawEntry[]]> | null;
        for (const entry of reply?.[0]?.[1] ?? []) this.take(entry, false);
      } catch (error) {
        if (this.stopped) return;
        this.options.listener.error(error as Error);
        await pause(50);
      }
    }
  }

  private take([entryId, fields]: RawEntry, replay: boolean): void {
    this.cursor = entryId;
    this.options.listener.entry(entryId, fieldsOf(fields), replay);
  }

  private async appendNow(type: 'a' | 'c', data: string): Promise<void> {
    const { cmd, keys } = this.options;
    if (!cmd.isReady) throw new Error(UNREACHABLE);
    const tag = this.options.copyId;
    await withTimeout(
      Promise.all([
        cmd.sendCommand([
          'XADD',
          keys.log,
          'MAXLEN',
          '~',
          String(LOG_MAX_ENTRIES),
          '*',
          't',
          type,
          'd',
          data,
          'o',
          tag,
        ]),
        cmd.sendCommand(['PEXPIRE', keys.log, String(ROOM_KEYS_TTL_MS)]),
      ]),
    );
  }
}

function fieldsOf(fields: string[]): EntryFields {
  const out: EntryFields = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]!] = fields[i + 1]!;
  return out;
}
