/**
 * Refreshes the chat page's pictures in docs/screenshots/: a guest on a phone
 * (390×844) and a host on a desktop (1280×800, a line's action menu open), each
 * in the light and the dark theme, and a phone while the server is away. Run by
 * hand after a change to how the page looks, then look at every picture:
 *
 *   npm run build && node dist/scripts/screenshots.js
 *
 * It starts a chat server of its own on free ports (a temporary DATA_DIR), fills
 * a room through the client SDK and drives Debian's Chromium with playwright-core.
 * The sample chat has emoji: without Debian's fonts-noto-color-emoji they show as boxes.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { ChatClient, type WebSocketConstructor } from '../src/client/sdk.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startChatServer } from '../src/server.js';
import { buildWeb } from './build-web.js';
import { signJoinToken } from './token.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = join(ROOT, 'docs/screenshots');
const KEY = 'screenshots-key';
const AUTH_SECRET = 'screenshots-auth-secret-long-enough-for-hs256';
const ROOM = 'launch-stream';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

/** What the room shows: a few viewers talking, in more than one script. */
const CHAT: Array<[string, string]> = [
  ['Ann', 'Hi everyone 👋 just tuned in'],
  ['Bob', 'The new map looks great'],
  ['Chen', 'Is the stream going to be archived?'],
  ['Layla', 'مرحبا من القاهرة!'],
  ['Bob', 'GG 🎉🎉'],
  ['Dario', 'What settings are you using for the audio? Sounds much better than last week.'],
  ['Ann', 'Bob, did you see the trailer yesterday?'],
  ['Chen', 'buy followers cheap at example.com'],
  ['Eve', 'First time here, hello from Lisbon 🇵🇹'],
];
/** Written and deleted by a moderator while the phone looks: it shows as a placeholder. */
const DELETED: [string, string] = ['Finn', 'FREE V-BUCKS at example.net'];

async function connect(url: string, identity: { name: string } | { token: string }): Promise<ChatClient> {
  const client = new ChatClient({ url, WebSocket: WebSocket as unknown as WebSocketConstructor });
  await client.join(identity);
  return client;
}

/** Writes `text` as the guest `name`; answers the message's id. */
async function say(url: string, name: string, text: string): Promise<number> {
  const client = await connect(url, { name });
  const sent = await client.send(text);
  client.close();
  if (!sent.ok) throw new Error(`${name} could not write: ${sent.error.message}`);
  return sent.id;
}

async function shoot(
  browser: Browser,
  viewport: { width: number; height: number },
  colorScheme: 'light' | 'dark',
  url: string,
  prepare: (page: Page) => Promise<void>,
  file: string,
): Promise<void> {
  const context = await browser.newContext({ viewport, colorScheme, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(url);
  await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
  await prepare(page);
  await page.screenshot({ path: join(OUT, file) });
  await context.close();
  console.log(`docs/screenshots/${file}`);
}

async function main(): Promise<void> {
  await buildWeb();
  const dataDir = mkdtempSync(join(tmpdir(), 'chatserver-screenshots-'));
  const config = loadConfig({
    PORT: '0',
    ADMIN_PORT: '0',
    KEY,
    ADMIN_KEY: 'screenshots-admin-key',
    AUTH_SECRET,
    ALLOW_GUESTS: 'on',
    DATA_DIR: dataDir,
    MAX_ROOMS: '2',
  });
  const server = await startChatServer(config, createLogger({ level: 'error', json: false, silent: true }));
  const site = `http://127.0.0.1:${server.publicPort}`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
  });
  try {
    mkdirSync(OUT, { recursive: true });
    const created = await fetch(`${site}/api/v1/room/${ROOM}`, { method: 'POST', headers: { 'X-API-Key': KEY } });
    const { data } = (await created.json()) as { data: { port: number } };
    const socket = `ws://127.0.0.1:${data.port}/`;
    for (const [name, text] of CHAT) await say(socket, name, text);

    const hostToken = await signJoinToken(
      { sub: 'host-1', name: 'Hana', role: 'host', room: ROOM, ttlSeconds: 3600 },
      AUTH_SECRET,
    );
    const moderator = await connect(socket, { token: hostToken });
    const guest = async (page: Page) => {
      await page.getByTestId('join-name').fill('Pat');
      await page.getByTestId('join-button').click();
      await page.getByTestId('message-input').waitFor();
      const id = await say(socket, ...DELETED);
      await page.locator(`[data-testid=message][data-id="${id}"]`).waitFor();
      moderator.delete(id);
      await page.locator(`[data-testid=message][data-id="${id}"][data-deleted=true]`).waitFor();
      await page.getByTestId('message-input').fill('Hello from my phone!');
    };
    const host = async (page: Page) => {
      const spam = page.getByTestId('message').filter({ hasText: 'buy followers' });
      await spam.getByTestId('message-menu-button').click();
      await spam.getByTestId('message-menu').waitFor();
    };
    for (const scheme of ['light', 'dark'] as const) {
      await shoot(browser, PHONE, scheme, `${site}/app/?room=${ROOM}`, guest, `phone-${scheme}.png`);
      await shoot(
        browser,
        DESKTOP,
        scheme,
        `${site}/app/?room=${ROOM}&token=${hostToken}`,
        host,
        `desktop-${scheme}.png`,
      );
    }
    moderator.close();
    // The server goes away last: the page says so and counts down.
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    await page.goto(`${site}/app/?room=${ROOM}`);
    await page.locator('[data-testid=connection-status][data-state=open]').waitFor();
    await server.stop(0, 'screenshots');
    await page.locator('[data-testid=connection-status][data-state=reconnecting]').waitFor();
    await page.screenshot({ path: join(OUT, 'phone-reconnecting.png') });
    console.log('docs/screenshots/phone-reconnecting.png');
  } finally {
    await browser.close();
    await server.stop(0, 'screenshots');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
