/**
 * Every room on the overview, in a table sortable by each column (a button in
 * each header; aria-sort says which column orders it and which way). A room's
 * name opens its page.
 */
import { byId, h } from '../web/dom.js';
import { count, megabytes, milliseconds, perMinute } from './format.js';
import type { MessageRates } from './history.js';
import type { RoomStats } from './types.js';

interface Column {
  key: string;
  label: string;
  value(room: RoomStats, rates: MessageRates): number | string;
  cell(room: RoomStats, rates: MessageRates): Node | string;
}

const COLUMNS: Column[] = [
  {
    key: 'name',
    label: 'Room',
    value: (r) => r.name,
    cell: (r) => h('a', { href: `#/room/${encodeURIComponent(r.name)}`, 'data-testid': 'room-link' }, r.name),
  },
  { key: 'viewers', label: 'Viewers', value: (r) => r.viewers, cell: (r) => count(r.viewers) },
  { key: 'chatters', label: 'Chatters', value: (r) => r.chatters, cell: (r) => count(r.chatters) },
  {
    key: 'rate',
    label: 'Msgs/min',
    value: (r, rates) => rates.perMinute(r.name) ?? -1,
    cell: (r, rates) => perMinute(rates.perMinute(r.name)),
  },
  {
    key: 'loop',
    label: 'Loop p99',
    value: (r) => r.eventLoopDelayMs.p99,
    cell: (r) => milliseconds(r.eventLoopDelayMs.p99),
  },
  { key: 'heap', label: 'Heap', value: (r) => r.heapUsedBytes, cell: (r) => megabytes(r.heapUsedBytes) },
];

export class RoomsTable {
  private sortKey = 'viewers';
  private descending = true;
  private last: { rooms: readonly RoomStats[]; rates: MessageRates } | null = null;

  render(rooms: readonly RoomStats[], rates: MessageRates): void {
    this.last = { rooms, rates };
    const column = COLUMNS.find((c) => c.key === this.sortKey) ?? COLUMNS[0]!;
    const sorted = [...rooms].sort((a, b) => {
      const x = column.value(a, rates);
      const y = column.value(b, rates);
      const order = typeof x === 'string' ? x.localeCompare(String(y)) : x - (y as number);
      return (this.descending ? -order : order) || a.name.localeCompare(b.name);
    });
    byId('rooms-head').replaceChildren(h('tr', {}, ...COLUMNS.map((c) => this.header(c))));
    byId('rooms-body').replaceChildren(
      ...sorted.map((room) =>
        h(
          'tr',
          { 'data-testid': 'room-row', 'data-room': room.name },
          ...COLUMNS.map((c) =>
            h(
              c.key === 'name' ? 'th' : 'td',
              { 'data-testid': `room-${c.key}`, scope: c.key === 'name' ? 'row' : undefined },
              c.cell(room, rates),
            ),
          ),
        ),
      ),
    );
    byId('rooms-empty').hidden = rooms.length > 0;
  }

  private header(column: Column): HTMLElement {
    const active = column.key === this.sortKey;
    const button = h(
      'button',
      { type: 'button', class: 'sort', 'data-testid': `sort-${column.key}` },
      column.label,
      active ? (this.descending ? ' ▼' : ' ▲') : '',
    );
    button.addEventListener('click', () => {
      if (active) this.descending = !this.descending;
      else {
        this.sortKey = column.key;
        this.descending = column.key !== 'name';
      }
      if (this.last !== null) this.render(this.last.rooms, this.last.rates);
      byId('rooms-head').querySelector<HTMLButtonElement>(`[data-testid=sort-${column.key}]`)?.focus();
    });
    return h(
      'th',
      { scope: 'col', 'aria-sort': active ? (this.descending ? 'descending' : 'ascending') : undefined },
      button,
    );
  }
}
