/**
 * The NGINX site (config/nginx/chatserver.conf) lets WebSocket upgrades through to
 * a room port only when the port lies in ROOM_PORT_MIN..ROOM_PORT_MAX. NGINX
 * cannot compare numbers, so the range is written as a regular expression in the
 * `location ~ ^/rooms/(?<room_port>…)/$` line; this file generates it.
 *
 *   node dist/scripts/nginx-room-ports.js 34000 34100          prints the pattern
 *   node dist/scripts/nginx-room-ports.js 34000 34100 FILE     rewrites it in FILE
 *
 * The pattern uses only digits, `[a-b]` classes and `|`: no braces (NGINX would
 * read `{` as the start of a block) and no parentheses (so the one group around it
 * can be found and replaced).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** The capture group holding the pattern in the site file. */
const ROOM_PORT_GROUP = /\(\?<room_port>([^()]*)\)/g;

/** A regular-expression alternation matching exactly the decimal numbers min..max. */
export function roomPortPattern(min: number, max: number): string {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max)
    throw new RangeError(`room ports must satisfy 1 <= min <= max <= 65535; got ${min}..${max}`);
  const parts: string[] = [];
  // Split where the number of digits changes: 1..9, 10..99, 100..999, …
  for (let low = min; low <= max;) {
    const high = Math.min(max, 10 ** String(low).length - 1);
    parts.push(...sameLength(String(low), String(high)));
    low = high + 1;
  }
  return parts.join('|');
}

/** Patterns for lo..hi, both with the same number of digits. */
function sameLength(lo: string, hi: string): string[] {
  if (lo === hi) return [lo];
  const [first, last] = [lo[0]!, hi[0]!];
  const rest = lo.length - 1;
  if (first === last) return sameLength(lo.slice(1), hi.slice(1)).map((p) => first + p);
  const anyDigits = '[0-9]'.repeat(rest);
  const parts: string[] = [];
  let from = Number(first);
  let to = Number(last);
  // lo = 3417 starts mid-decade: 3417..3999 on its own, then whole thousands.
  if (!/^0*$/.test(lo.slice(1))) {
    parts.push(...sameLength(lo.slice(1), '9'.repeat(rest)).map((p) => first + p));
    from += 1;
  }
  const tail = /^9*$/.test(hi.slice(1)) ? [] : sameLength('0'.repeat(rest), hi.slice(1)).map((p) => last + p);
  if (tail.length > 0) to -= 1;
  if (from <= to) parts.push((from === to ? String(from) : `[${from}-${to}]`) + anyDigits);
  return [...parts, ...tail];
}

/** The site text with its room-port pattern replaced; refuses a file without exactly one. */
export function withRoomPortRange(site: string, min: number, max: number): string {
  const found = site.match(ROOM_PORT_GROUP) ?? [];
  if (found.length !== 1)
    throw new Error(`expected exactly one "(?<room_port>…)" group in the NGINX site; found ${found.length}`);
  return site.replace(ROOM_PORT_GROUP, `(?<room_port>${roomPortPattern(min, max)})`);
}

/** The pattern currently in the site text. */
export function roomPortPatternIn(site: string): string | undefined {
  return [...site.matchAll(ROOM_PORT_GROUP)][0]?.[1];
}

function main(args: string[]): void {
  const [min, max, file] = args;
  if (min === undefined || max === undefined || args.length > 3) {
    process.stderr.write('usage: nginx-room-ports MIN MAX [NGINX_SITE_FILE]\n');
    process.exit(2);
  }
  try {
    if (file === undefined) process.stdout.write(`${roomPortPattern(Number(min), Number(max))}\n`);
    else writeFileSync(file, withRoomPortRange(readFileSync(file, 'utf8'), Number(min), Number(max)));
  } catch (error) {
    process.stderr.write(`nginx-room-ports: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  main(process.argv.slice(2));
