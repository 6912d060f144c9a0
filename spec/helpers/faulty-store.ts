/**
 * A test-only Store that wraps a real one and fails on demand: while `failing`
 * is set, every call throws as an unreachable database would. Our tests run as
 * root, so file permissions cannot make a real store fail; this can. It also
 * counts the batches that reach the real store.
 */
import {
  batchSize,
  type Page,
  type RoomSettings,
  type Store,
  type StoredPin,
  type TipRecord,
  type WriteBatch,
} from '../../src/store/store.js';

export class FaultyStore implements Store {
  failing = false;
  /** While set, every call waits for ever, as a database that accepts and never answers. */
  hanging = false;
  /** Records per writeBatch call that reached the real store. */
  readonly batches: number[] = [];

  constructor(readonly inner: Store) {}

  get kind() {
    return this.inner.kind;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.failing) throw new Error('injected store fault');
    if (this.hanging) return new Promise<T>(() => undefined);
    return fn();
  }

  open = () => this.inner.open();
  close = () => this.inner.close();
  roomOpened = (room: string, server: string, at: number) => this.call(() => this.inner.roomOpened(room, server, at));
  roomClosed = (room: string, at: number) => this.call(() => this.inner.roomClosed(room, at));
  room = (room: string) => this.call(() => this.inner.room(room));
  reserveIds = (room: string, through: number) => this.call(() => this.inner.reserveIds(room, through));
  reserveBlock = (room: string, count: number) => this.call(() => this.inner.reserveBlock(room, count));
  saveSettings = (room: string, settings: RoomSettings) => this.call(() => this.inner.saveSettings(room, settings));
  writeBatch = (batch: WriteBatch) =>
    this.call(async () => {
      await this.inner.writeBatch(batch);
      this.batches.push(batchSize(batch));
    });
  messages = (room: string, page: Page) => this.call(() => this.inner.messages(room, page));
  bans = (now: number) => this.call(() => this.inner.bans(now));
  blockedTerms = () => this.call(() => this.inner.blockedTerms());
  setBlockedTerms = (terms: string[]) => this.call(() => this.inner.setBlockedTerms(terms));
  reviewTerms = () => this.call(() => this.inner.reviewTerms());
  setReviewTerms = (terms: string[]) => this.call(() => this.inner.setReviewTerms(terms));
  moderation = (room: string, page: Page) => this.call(() => this.inner.moderation(room, page));
  savePin = (room: string, pin: StoredPin | null) => this.call(() => this.inner.savePin(room, pin));
  pin = (room: string) => this.call(() => this.inner.pin(room));
  saveTip = (tip: TipRecord) => this.call(() => this.inner.saveTip(tip));
  tip = (key: string) => this.call(() => this.inner.tip(key));
  tips = (room: string, page: Page) => this.call(() => this.inner.tips(room, page));
  removeExpired = (now: number) => this.call(() => this.inner.removeExpired(now));
}
