/** A ban as the room page and the lists page show it: who, where, by whom, until when, and Unban. */
import { h } from '../web/dom.js';
import { attempt, type ConsoleContext } from './context.js';
import { dateTime } from './format.js';
import type { Ban } from './types.js';

/** A ban in a list, with its Unban button (global when the ban's room is null). */
export function banItem(ctx: ConsoleContext, ban: Ban): HTMLElement {
  const where = ban.room === null ? 'every room' : ban.room;
  const button = h(
    'button',
    {
      type: 'button',
      class: 'quiet small',
      'data-testid': 'unban-button',
      'aria-label': `Unban ${ban.user} in ${where}`,
    },
    'Unban',
  );
  button.addEventListener('click', () => {
    const query = ban.room === null ? '' : `?room=${encodeURIComponent(ban.room)}`;
    void attempt(
      ctx,
      () => ctx.api().call('DELETE', `/bans/${encodeURIComponent(ban.user)}${query}`),
      `Lifted the ban of ${ban.user}`,
    );
  });
  return h(
    'li',
    { 'data-testid': 'ban', 'data-user': ban.user },
    h('strong', {}, ban.user),
    ` in ${where}, by ${ban.by} ${dateTime(ban.at)}`,
    ban.until === null ? '' : `, until ${dateTime(ban.until)}`,
    ban.reason ? ` — ${ban.reason}` : '',
    ' ',
    button,
  );
}
