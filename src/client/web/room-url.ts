/**
 * Finding a room's WebSocket: `GET /api/v1/room/:name` on the server that served
 * this page answers its port, and `path` when the server sits behind NGINX (then
 * the socket goes through the page's own host). Asked again before every
 * reconnect: a room that restarted may listen on another port.
 */
export class RoomNotFoundError extends Error {
  override readonly name = 'RoomNotFoundError';
}

/** The server can never accept this name (HTTP 400): retrying cannot help. */
export class RoomNameError extends Error {
  override readonly name = 'RoomNameError';
}

/** What a room name may be, in words; the same rule as the room form's pattern. */
export const ROOM_NAME_RULE =
  'A room name is 1 to 64 letters (A–Z, a–z), digits, "_", "-" or "."; it does not start with "." and has no spaces.';

interface RoomInfo {
  data: { name: string; port: number; path?: string; viewers: number };
}

export async function roomSocketUrl(room: string, page: Location = window.location): Promise<string> {
  // Relative to /app/, so a server mounted under a prefix works too.
  const res = await fetch(new URL(`../api/v1/room/${encodeURIComponent(room)}`, page.href), {
    headers: { Accept: 'application/json' },
    cache: 'no-store',
  });
  if (res.status === 404) throw new RoomNotFoundError(`There is no room named "${room}" (yet)`);
  if (res.status === 400) throw new RoomNameError(`"${room}" is not a valid room name. ${ROOM_NAME_RULE}`);
  if (!res.ok) throw new Error(`The room lookup answered HTTP ${res.status}`);
  const { data } = (await res.json()) as RoomInfo;
  const scheme = page.protocol === 'https:' ? 'wss:' : 'ws:';
  return data.path ? `${scheme}//${page.host}${data.path}` : `${scheme}//${page.hostname}:${data.port}/`;
}
