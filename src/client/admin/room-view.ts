/**
 * A room's page (#/room/<name>): its figures and settings, recent messages,
 * moderation log, bans, tips when the server has them, and the actions on it:
 * broadcast, kick, ban, shut down (confirmed). A message's Kick and Ban buttons
 * fill the forms with its author, so every act names its target in the form.
 */
import { byId, h } from '../web/dom.js';
import { ApiFailure, isMissingRoute } from './api.js';
import { confirmAction } from './confirm.js';
import { attempt, type ConsoleContext } from './context.js';
import { banItem } from './ban-item.js';
import { field, onSubmit } from './forms.js';
import { clockTime, count, dateTime, megabytes, milliseconds } from './format.js';
import type { Ban, ModerationEntry, RoomStats, TranscriptMessage } from './types.js';

const RECENT = 50;
const path = (room: string) => `/room/${encodeURIComponent(room)}`;

export class RoomView {
  private room = '';
  /** Whether this server answers a room's tips (the route is not on every server). */
  private tips: boolean | null = null;

  constructor(private readonly ctx: ConsoleContext) {
    this.wireForms();
  }

  show(room: string): void {
    if (room !== this.room) {
      this.room = room;
      byId('room-name').textContent = room;
      for (const id of ['room-messages', 'room-moderation', 'room-bans', 'room-tips', 'room-stats', 'room-settings'])
        byId(id).replaceChildren();
      byId('room-gone').hidden = true;
    }
  }

  async poll(): Promise<void> {
    const api = this.ctx.api();
    const room = this.room;
    let stats: RoomStats;
    try {
      stats = await api.get<RoomStats>(path(room));
    } catch (error) {
      if (error instanceof ApiFailure && error.status === 404) {
        byId('room-gone').hidden = false;
        return;
      }
      throw error;
    }
    byId('room-gone').hidden = true;
    const [messages, moderation, bans] = await Promise.all([
      api.get<{ messages: TranscriptMessage[] }>(`${path(room)}/messages?limit=${RECENT}`),
      api.get<{ entries: ModerationEntry[] }>(`${path(room)}/moderation?limit=${RECENT}`),
      api.get<{ bans: Ban[] }>(`/bans?room=${encodeURIComponent(room)}`),
    ]);
    if (room !== this.room) return;
    this.renderStats(stats);
    this.renderMessages(messages.messages);
    this.renderModeration(moderation.entries);
    this.renderBans(bans.bans.filter((b) => b.room === room));
    await this.renderTips();
  }

  private renderStats(s: RoomStats): void {
    const pair = (label: string, testid: string, value: string) => [
      h('dt', {}, label),
      h('dd', { 'data-testid': testid }, value),
    ];
    byId('room-stats').replaceChildren(
      ...pair('Viewers', 'room-stat-viewers', count(s.viewers)),
      ...pair('Chatters', 'room-stat-chatters', count(s.chatters)),
      ...pair('Messages', 'room-stat-messages', count(s.messages)),
      ...pair(
        'Event-loop delay',
        'room-stat-loop',
        `p50 ${milliseconds(s.eventLoopDelayMs.p50)}, p99 ${milliseconds(s.eventLoopDelayMs.p99)}`,
      ),
      ...pair('Heap', 'room-stat-heap', megabytes(s.heapUsedBytes)),
    );
    byId('room-settings').replaceChildren(
      ...pair('Port', 'room-setting-port', String(s.port)),
      ...pair('Open since', 'room-setting-created', dateTime(Date.parse(s.createdAt))),
      ...(s.settings === undefined
        ? []
        : [
            ...pair('Slow mode', 'room-setting-slow', s.settings.slow === 0 ? 'off' : `${s.settings.slow} s`),
            ...pair('Longest message', 'room-setting-max-chars', `${s.settings.maxMessageChars} characters`),
          ]),
    );
  }

  private renderMessages(messages: TranscriptMessage[]): void {
    const list = byId('room-messages');
    list.replaceChildren(
      ...messages.map((m) => {
        const removed = m.deleted ? ' (deleted)' : m.cleared ? ' (cleared)' : '';
        return h(
          'li',
          { 'data-testid': 'room-message', 'data-user': m.user.id },
          h('time', {}, clockTime(m.ts)),
          ' ',
          h('strong', {}, m.user.name),
          h('span', { class: 'muted' }, ` (${m.user.id}, ${m.user.role})`),
          ': ',
          h('span', { class: m.deleted || m.cleared ? 'removed' : undefined }, m.text),
          removed,
          ' ',
          this.fillButton('Kick', 'kick', m.user.id, m.user.name),
          this.fillButton('Ban', 'ban', m.user.id, m.user.name),
        );
      }),
    );
    byId('room-messages-empty').hidden = messages.length > 0;
  }

  private fillButton(label: string, form: 'kick' | 'ban', user: string, name: string): HTMLButtonElement {
    const button = h(
      'button',
      { type: 'button', class: 'quiet small', 'data-testid': `message-${form}`, 'aria-label': `${label} ${name}…` },
      label,
    );
    button.addEventListener('click', () => {
      const input = byId<HTMLInputElement>(`${form}-user`);
      input.value = user;
      byId<HTMLInputElement>(`${form}-reason`).focus();
    });
    return button;
  }

  private renderModeration(entries: ModerationEntry[]): void {
    byId('room-moderation').replaceChildren(
      ...entries.map((e) =>
        h(
          'li',
          { 'data-testid': 'moderation-entry' },
          h('time', {}, clockTime(e.at)),
          ` ${e.by.name} (${e.by.role}): ${e.action}`,
          e.target === null ? '' : ` ${e.target}`,
          e.seconds ? ` for ${e.seconds} s` : '',
          e.reason ? ` — ${e.reason}` : '',
        ),
      ),
    );
    byId('room-moderation-empty').hidden = entries.length > 0;
  }

  private renderBans(bans: Ban[]): void {
    byId('room-bans').replaceChildren(...bans.map((b) => banItem(this.ctx, b)));
    byId('room-bans-empty').hidden = bans.length > 0;
  }

  private async renderTips(): Promise<void> {
    const api = this.ctx.api();
    const section = byId('room-tips-section');
    if (this.tips === false) return;
    try {
      const tips = await api.get<unknown>(`${path(this.room)}/tips`);
      this.tips = true;
      section.hidden = false;
      const items = Array.isArray(tips) ? tips : ((tips as { tips?: unknown[] }).tips ?? []);
      byId('room-tips').replaceChildren(...items.map((t) => h('li', { 'data-testid': 'room-tip' }, describe(t))));
    } catch (error) {
      if (isMissingRoute(error)) {
        this.tips = false;
        section.hidden = true;
      } else throw error;
    }
  }

  private wireForms(): void {
    const ctx = this.ctx;
    const room = () => this.room;
    onSubmit('room-broadcast-form', async (form) => {
      const text = field(form, 'text');
      if (
        await attempt(ctx, () => ctx.api().call('POST', '/broadcast', { text, rooms: [room()] }), `Sent to ${room()}`)
      )
        form.reset();
    });
    onSubmit('kick-form', async (form) => {
      const user = field(form, 'user');
      const reason = field(form, 'reason');
      const body = reason === '' ? { user } : { user, reason };
      if (await attempt(ctx, () => ctx.api().call('POST', `${path(room())}/kick`, body), `Kicked ${user}`))
        form.reset();
    });
    onSubmit('ban-form', async (form) => {
      const user = field(form, 'user');
      const reason = field(form, 'reason');
      const body = { user, room: room(), ...(reason === '' ? {} : { reason }) };
      if (await attempt(ctx, () => ctx.api().call('POST', '/bans', body), `Banned ${user} from ${room()}`))
        form.reset();
    });
    byId('room-shutdown').addEventListener('click', () => {
      const name = room();
      void confirmAction(
        `Shut down ${name}?`,
        'Every viewer of this room is disconnected (close code 1001) and the room closes. It can be created again.',
        'Shut the room down',
      ).then(async (yes) => {
        if (yes) await attempt(ctx, () => ctx.api().call('DELETE', `${path(name)}/shutdown`), `Shutting ${name} down`);
      });
    });
  }
}

/** A tip (whatever fields it has) in one line. */
function describe(item: unknown): string {
  if (typeof item !== 'object' || item === null) return String(item);
  return Object.entries(item)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}
