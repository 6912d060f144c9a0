/**
 * The one control a moderator's message line carries: a "⋯" button that opens a
 * menu of the actions that apply (one tab stop per line). Keyboard: Enter, Space
 * or the arrow keys open it, the arrows, Home and End move, Escape and Tab close
 * it and return to the button. One menu is open at a time; it lives inside its
 * line so it scrolls with it.
 */
import type { ChatMessage } from '../sdk.js';
import { h } from './dom.js';
import type { MessageAction } from './message-actions.js';

interface OpenMenu {
  button: HTMLButtonElement;
  menu: HTMLElement;
}
let open: OpenMenu | null = null;

export function menuButton(m: ChatMessage, actions: MessageAction[]): HTMLButtonElement {
  const button = h(
    'button',
    {
      type: 'button',
      class: 'quiet menu-button',
      'data-testid': 'message-menu-button',
      'aria-haspopup': 'menu',
      'aria-expanded': 'false',
      'aria-label': `Actions for the message from ${m.user.name}`,
    },
    '⋯',
  );
  button.addEventListener('click', () => (open?.button === button ? closeMenu() : openMenu(button, m, actions, 0)));
  button.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    event.preventDefault();
    openMenu(button, m, actions, event.key === 'ArrowDown' ? 0 : -1);
  });
  return button;
}

function openMenu(button: HTMLButtonElement, m: ChatMessage, actions: MessageAction[], focusAt: number): void {
  closeMenu();
  const line = button.closest('li');
  if (line === null) return;
  const items = actions.map((action) => {
    const item = h(
      'button',
      {
        type: 'button',
        role: 'menuitem',
        tabindex: '-1',
        class: action.danger === true ? 'menu-item danger' : 'menu-item',
        'data-testid': action.testid,
      },
      action.text(m),
    );
    for (const [key, value] of Object.entries(action.data ?? {})) item.dataset[key] = value;
    item.addEventListener('click', () => {
      closeMenu(true);
      action.run(m);
    });
    return item;
  });
  const menu = h(
    'div',
    {
      role: 'menu',
      class: 'menu',
      'data-testid': 'message-menu',
      'aria-label': button.getAttribute('aria-label') ?? '',
    },
    ...items,
  );
  // Open upwards in the lower half of the log, so the menu is not cut off at its end.
  const log = line.parentElement?.getBoundingClientRect();
  const at = line.getBoundingClientRect();
  if (log !== undefined && at.top - log.top > log.height / 2) menu.classList.add('up');
  menu.addEventListener('keydown', (event) => onMenuKey(event, items));
  line.append(menu);
  button.setAttribute('aria-expanded', 'true');
  open = { button, menu };
  items.at(focusAt)?.focus();
}

function onMenuKey(event: KeyboardEvent, items: HTMLButtonElement[]): void {
  const index = items.indexOf(document.activeElement as HTMLButtonElement);
  const move: Record<string, number> = {
    ArrowDown: (index + 1) % items.length,
    ArrowUp: (index - 1 + items.length) % items.length,
    Home: 0,
    End: items.length - 1,
  };
  if (event.key in move) {
    event.preventDefault();
    items[move[event.key]!]?.focus();
  } else if (event.key === 'Escape' || event.key === 'Tab') {
    event.preventDefault();
    closeMenu(true);
  }
}

/** Closes the open menu, if any; with `refocus`, its button takes focus back. */
export function closeMenu(refocus = false): void {
  if (open === null) return;
  const { button, menu } = open;
  open = null;
  menu.remove();
  button.setAttribute('aria-expanded', 'false');
  if (refocus && button.isConnected) button.focus();
}

// A click anywhere else closes the menu, as does focus leaving it.
document.addEventListener('pointerdown', (event) => {
  if (open !== null && !open.menu.contains(event.target as Node) && event.target !== open.button) closeMenu();
});
document.addEventListener('focusin', (event) => {
  if (open !== null && !open.menu.contains(event.target as Node) && event.target !== open.button) closeMenu();
});
