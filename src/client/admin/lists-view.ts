/**
 * The server-wide lists (#/lists): bans (global and per room, with Unban and a
 * form to add one), the blocked-terms editor and, when the server has the route,
 * the review-terms editor. A term list is one term a line; saving replaces the
 * whole list, as PUT does.
 */
import { byId } from '../web/dom.js';
import { isMissingRoute } from './api.js';
import { attempt, type ConsoleContext } from './context.js';
import { banItem } from './ban-item.js';
import { field, onSubmit } from './forms.js';
import type { Ban } from './types.js';

const TERM_LISTS = [
  { route: '/blocked-terms', prefix: 'blocked', label: 'blocked terms' },
  { route: '/review-terms', prefix: 'review', label: 'review terms' },
] as const;

export class ListsView {
  /** Lists whose editor holds unsaved changes: a poll does not overwrite them. */
  private readonly editing = new Set<string>();
  /** Routes this server does not have (their sections stay hidden). */
  private readonly missing = new Set<string>();

  constructor(private readonly ctx: ConsoleContext) {
    onSubmit('global-ban-form', async (form) => {
      const user = field(form, 'user');
      const room = field(form, 'room');
      const reason = field(form, 'reason');
      const body = { user, ...(room === '' ? {} : { room }), ...(reason === '' ? {} : { reason }) };
      if (
        await attempt(ctx, () => ctx.api().call('POST', '/bans', body), `Banned ${user} from ${room || 'every room'}`)
      )
        form.reset();
    });
    for (const list of TERM_LISTS) {
      const editor = byId<HTMLTextAreaElement>(`${list.prefix}-terms`);
      editor.addEventListener('input', () => this.editing.add(list.route));
      onSubmit(`${list.prefix}-terms-form`, async () => {
        const terms = editor.value
          .split('\n')
          .map((t) => t.trim())
          .filter((t) => t !== '');
        if (
          await attempt(ctx, () => ctx.api().call('PUT', list.route, { terms }), `Saved ${terms.length} ${list.label}`)
        )
          this.editing.delete(list.route);
      });
    }
  }

  async poll(): Promise<void> {
    const api = this.ctx.api();
    const { bans } = await api.get<{ bans: Ban[] }>('/bans');
    byId('global-bans').replaceChildren(...bans.map((b) => banItem(this.ctx, b)));
    byId('global-bans-empty').hidden = bans.length > 0;
    for (const list of TERM_LISTS) await this.pollTerms(list.route, list.prefix);
  }

  private async pollTerms(route: string, prefix: string): Promise<void> {
    if (this.missing.has(route)) return;
    let terms: string[];
    try {
      ({ terms } = await this.ctx.api().get<{ terms: string[] }>(route));
    } catch (error) {
      if (isMissingRoute(error)) {
        this.missing.add(route);
        byId(`${prefix}-terms-section`).hidden = true;
        return;
      }
      throw error;
    }
    byId(`${prefix}-terms-section`).hidden = false;
    if (!this.editing.has(route)) byId<HTMLTextAreaElement>(`${prefix}-terms`).value = terms.join('\n');
  }
}
