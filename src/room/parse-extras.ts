/**
 * Validation of the frames for replies, actions, announcements, pins and paid
 * messages (docs/protocol.md), beside parse-frame.ts and in its style: each
 * refusal names the field that is wrong.
 */
import {
  type AnnounceFrame,
  announcementColors,
  type AnnouncementColor,
  type ClientFrame,
  type MessageFrame,
  type PinFrame,
  type TipFrame,
} from '../protocol/frames.js';

type Fields = Record<string, unknown>;

/** A pin lasts at most a day. */
export const MAX_PIN_SECONDS = 24 * 3600;
/** The most credits a tip frame may name at all (the server's TIP_MAX is checked by the room). */
const MAX_AMOUNT = 1_000_000_000;
const MAX_REF_CHARS = 64;

function wholeNumber(f: Fields, key: string, min: number, max: number): number | undefined | Error {
  const value = f[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    return new Error(`"${key}" must be a whole number from ${min} to ${max}`);
  return value;
}

/** The reply and action fields of a message frame, added to `frame`; an Error names a wrong one. */
export function messageExtras(f: Fields, frame: MessageFrame): MessageFrame | Error {
  const replyTo = wholeNumber(f, 'replyTo', 1, Number.MAX_SAFE_INTEGER);
  if (replyTo instanceof Error) return replyTo;
  if (f.action !== undefined && typeof f.action !== 'boolean') return new Error('"action" must be true or false');
  if (replyTo !== undefined) frame.replyTo = replyTo;
  if (f.action === true) frame.action = true;
  return frame;
}

/** The frames of this module; undefined for any other type. */
export function parseExtraFrame(f: Fields & { type: string }): ClientFrame | Error | undefined {
  switch (f.type) {
    case 'announce': {
      if (typeof f.text !== 'string') return new Error('"text" must be a string');
      const color = f.color ?? 'primary';
      if (typeof color !== 'string' || !(announcementColors as readonly string[]).includes(color))
        return new Error(`"color" must be one of ${announcementColors.join(', ')}`);
      const frame: AnnounceFrame = { type: 'announce', text: f.text, color: color as AnnouncementColor };
      if (typeof f.ref === 'string') frame.ref = f.ref;
      return frame;
    }
    case 'pin': {
      const id = wholeNumber(f, 'id', 1, Number.MAX_SAFE_INTEGER);
      const seconds = wholeNumber(f, 'seconds', 1, MAX_PIN_SECONDS);
      if (id === undefined) return new Error('"id" is required');
      if (id instanceof Error) return id;
      if (seconds instanceof Error) return seconds;
      const frame: PinFrame = { type: 'pin', id };
      if (seconds !== undefined) frame.seconds = seconds;
      return frame;
    }
    case 'unpin':
      return { type: 'unpin' };
    case 'tip': {
      const amount = wholeNumber(f, 'amount', 1, MAX_AMOUNT);
      if (amount === undefined) return new Error('"amount" is required');
      if (amount instanceof Error) return amount;
      if (typeof f.text !== 'string') return new Error('"text" must be a string');
      if (typeof f.ref !== 'string' || f.ref.length === 0 || f.ref.length > MAX_REF_CHARS)
        return new Error(
          `"ref" is required for a tip (1 to ${MAX_REF_CHARS} characters): it keeps a retry from paying twice`,
        );
      const frame: TipFrame = { type: 'tip', amount, text: f.text, ref: f.ref };
      return frame;
    }
    default:
      return undefined;
  }
}
