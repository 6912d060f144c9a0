/**
 * The history part of the welcome, built once for every join that asks the
 * same thing while the history stays as it is: the same `since` (a recovery),
 * or none (the recent messages). After a restart or a network blip thousands of
 * clients of one room rejoin within seconds with the same `since`, the id of the
 * last message they all saw; without this, each of them would filter the window
 * and serialise the same messages again. With it, each distinct answer is
 * computed once and every welcome splices in the same JSON text.
 *
 * Kept across passes of the event loop, not just within one: clients that spread
 * their return over a rejoin window (src/client/reconnect.ts) arrive a few per
 * pass, so a cache of one pass would build nearly once per join.
 *
 * An answer is reused only while the history is exactly as it was when it was
 * built (History.version): a message, deletion or clear between two joins makes
 * the next one build afresh, so no client is ever given an answer the room's
 * history no longer matches. Answers are dropped a moment after the first was
 * built (LINGER_MS), so a room holds no copies of its history between storms.
 */
import { PROTOCOL_VERSION, type WelcomeFrame } from '../protocol/frames.js';
import type { History } from './history.js';
import type { EncodedFrame } from './outbox.js';

/** One answer to "what did I miss": the history's JSON, and whether it is a full recovery. */
export interface SharedHistory {
  /** Absent when the join asked no `since`. */
  readonly recovered: boolean | undefined;
  /** The welcome's `history` array, serialised once. */
  readonly json: string;
  readonly bytes: number;
}

/** A welcome without its history: the part that differs per client. */
export type WelcomeFields = Omit<WelcomeFrame, 'type' | 'protocol' | 'history' | 'recovered'>;

const RECENT = -1;
const UNRECOVERABLE = -2;
/** Distinct answers kept at once: a storm asks a handful of `since` values, not hundreds. */
export const MAX_ANSWERS = 32;
/** How long answers are kept after the first of them was built (ms). */
export const LINGER_MS = 1_000;

export class RecoveryCache {
  private readonly answers = new Map<number, SharedHistory>();
  private builtAt = -1;
  private forgetScheduled = false;
  /** Answers built (not reused) since the room started: what a test reads to see the sharing. */
  built = 0;

  constructor(
    private readonly history: History,
    private readonly fallbackCount: number,
    /** Runs a function LINGER_MS from now (an unref'd timer; a test may pass its own). */
    private readonly later: (fn: () => void) => void = (fn) => void setTimeout(fn, LINGER_MS).unref(),
  ) {}

  /** The history a join with this `since` (or none) is welcomed with. */
  answer(since: number | undefined): SharedHistory {
    if (this.history.version !== this.builtAt) {
      this.answers.clear();
      this.builtAt = this.history.version;
    }
    // Every `since` the window cannot answer gets the same fallback: one key for all of them.
    const key = since === undefined ? RECENT : this.history.recoverable(since) ? since : UNRECOVERABLE;
    const known = this.answers.get(key);
    if (known !== undefined) return known;
    const recovery = since === undefined ? undefined : this.history.since(since, this.fallbackCount);
    const json = JSON.stringify(recovery?.messages ?? this.history.recent(this.fallbackCount));
    const answer: SharedHistory = { recovered: recovery?.recovered, json, bytes: Buffer.byteLength(json) };
    this.built += 1;
    // Joins asking many different `since` in one moment are built each (not kept): the cache stays small.
    if (this.answers.size >= MAX_ANSWERS) return answer;
    this.answers.set(key, answer);
    this.forgetLater();
    return answer;
  }

  /** Answers live LINGER_MS at most: a room holds no copies of its history between storms. */
  private forgetLater(): void {
    if (this.forgetScheduled) return;
    this.forgetScheduled = true;
    this.later(() => {
      this.forgetScheduled = false;
      this.answers.clear();
    });
  }
}

/**
 * Each settings object's JSON: the room hands every welcome the same object
 * until its modes change (Room.welcomeSettings), so a storm encodes it once.
 */
const settingsJson = new WeakMap<object, string>();

function jsonOf(settings: WelcomeFields['settings']): string {
  let json = settingsJson.get(settings);
  if (json === undefined) settingsJson.set(settings, (json = JSON.stringify(settings)));
  return json;
}

/**
 * The welcome frame as text: the client's own fields around the shared history.
 * The same JSON as JSON.stringify of the whole frame, with the same field order.
 */
export function encodeWelcome(fields: WelcomeFields, history: SharedHistory): EncodedFrame {
  const head = JSON.stringify({ type: 'welcome', protocol: PROTOCOL_VERSION, room: fields.room, you: fields.you });
  const rest: Record<string, unknown> = {};
  if (history.recovered !== undefined) rest.recovered = history.recovered;
  if (fields.pinned !== undefined) rest.pinned = fields.pinned;
  if (fields.guestToken !== undefined) rest.guestToken = fields.guestToken;
  if (fields.rejoinWindowMs !== undefined) rest.rejoinWindowMs = fields.rejoinWindowMs;
  const restJson = JSON.stringify(rest);
  const headJson = `${head.slice(0, -1)},"history":`;
  const tail =
    `,"viewers":${JSON.stringify(fields.viewers)},"settings":${jsonOf(fields.settings)}` +
    (restJson === '{}' ? '}' : `,${restJson.slice(1)}`);
  return {
    json: headJson + history.json + tail,
    bytes: Buffer.byteLength(headJson) + history.bytes + Buffer.byteLength(tail),
  };
}
