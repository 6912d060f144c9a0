/**
 * What the page keeps across reloads: a guest's name and guest token in
 * localStorage (so a reload, or a new tab, is the same guest: a ban or timeout
 * still holds), and a host's or mod's join token in sessionStorage for this tab
 * only (the address bar never shows it). Storage a browser refuses (private
 * modes, quotas) only means nothing is remembered.
 */
const GUEST_KEY = 'chat.guest';
const tokenKey = (room: string) => `chat.token.${room}`;

export interface RememberedGuest {
  name: string;
  guestToken: string;
}

function read(storage: () => Storage, key: string): string | null {
  try {
    return storage().getItem(key);
  } catch {
    return null;
  }
}

function write(storage: () => Storage, key: string, value: string): void {
  try {
    storage().setItem(key, value);
  } catch {
    // not kept: the next load starts afresh
  }
}

export function rememberGuest(name: string, guestToken: string): void {
  write(() => localStorage, GUEST_KEY, JSON.stringify({ name, guestToken }));
}

/** The room refused the guest token (a server with a new secret): the next join is a new guest. */
export function forgetGuest(): void {
  try {
    localStorage.removeItem(GUEST_KEY);
  } catch {
    // nothing was kept
  }
}

export function rememberedGuest(): RememberedGuest | null {
  const raw = read(() => localStorage, GUEST_KEY);
  if (raw === null) return null;
  try {
    const value = JSON.parse(raw) as Partial<RememberedGuest>;
    return typeof value.name === 'string' && typeof value.guestToken === 'string'
      ? { name: value.name, guestToken: value.guestToken }
      : null;
  } catch {
    return null;
  }
}

export function rememberToken(room: string, token: string): void {
  write(() => sessionStorage, tokenKey(room), token);
}

export function rememberedToken(room: string): string | null {
  return read(() => sessionStorage, tokenKey(room));
}
