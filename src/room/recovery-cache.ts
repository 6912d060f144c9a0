/**
 * The history part of the welcome, built once per pass of the event loop for
 * every join that asks the same thing: the same `since` (a recovery), or none
 * (the recent messages). After a restart or a network blip thousands of clients
 * of one room rejoin within a second with the same `since`, the id of the last
 * message they all saw; without this, each of them would filter the window and
 * serialise the same messages again. With it, one pass computes each distinct
 * answer once and every welcome splices in the same JSON text.
 *
 * An answer is reused only while the history is exactly as it was when it was
 * built (History.version), and only within the pass: a message, deletion or
 * clear between two joins makes the next one build afresh, so no client is ever
 * given an answer the room's history no longer matches.
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

export class RecoveryCache {
  private readonly answers = new Map<number, SharedHistory>();
  private builtAt = -1;
  private forgetScheduled = false;
  /** Answers built (not reused) since the room started: what a test reads to see the sharing. */
  built = 0;

  constructor(
    private readonly history: History,
    private readonly fallbackCount: number,
    /** Runs a function after the current pass (setImmediate; a test may pass its own). */
    private readonly afterPass: (fn: () => void) => void = (fn) => void setImmediate(fn),
  ) {}

  /** The history a join with this `since` (or none) is welcomed with. */
  answer(since: number | undefined): SharedHistory {
    if (this.history.version !== this.builtAt) {
      this.answers.clear();
      this.builtAt = this.history.version;
    }
    const key = since ?? RECENT;
    const known = this.answers.get(key);
    if (known !== undefined) return known;
    const recovery = since === undefined ? undefined : this.history.since(since, this.fallbackCount);
    const json = JSON.stringify(recovery?.messages ?? this.history.recent(this.fallbackCount));
    const answer: SharedHistory = { recovered: recovery?.recovered, json, bytes: Buffer.byteLength(json) };
    this.answers.set(key, answer);
    this.built += 1;
    this.forgetAfterPass();
    return answer;
  }

  /** Answers live for one pass only: a room holds no copies of its history between storms. */
  private forgetAfterPass(): void {
    if (this.forgetScheduled) return;
    this.forgetScheduled = true;
    this.afterPass(() => {
      this.forgetScheduled = false;
      this.answers.clear();
    });
  }
}

/**
 * The welcome frame as text: the client's own fields around the shared history.
 * The same JSON as JSON.stringify of the whole frame, with the same field order.
 */
export function encodeWelcome(fields: WelcomeFields, history: SharedHistory): EncodedFrame {
  const head = JSON.stringify({ type: 'welcome', protocol: PROTOCOL_VERSION, room: fields.room, you: fields.you });
  const tail: Record<string, unknown> = { viewers: fields.viewers, settings: fields.settings };
  if (history.recovered !== undefined) tail.recovered = history.recovered;
  if (fields.pinned !== undefined) tail.pinned = fields.pinned;
  const tailJson = JSON.stringify(tail);
  const headJson = `${head.slice(0, -1)},"history":`;
  const rest = `,${tailJson.slice(1)}`;
  return {
    json: headJson + history.json + rest,
    bytes: Buffer.byteLength(headJson) + history.bytes + Buffer.byteLength(rest),
  };
}
