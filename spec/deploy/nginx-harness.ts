/**
 * Runs the shipped NGINX site (config/nginx/chatserver.conf) on loopback for a test:
 * renders it by replacing only the machine-specific values its header lists, wraps it
 * in a minimal nginx.conf of the test's own (pid, logs and temp paths in a temp
 * directory), and runs nginx in the foreground until stop().
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { withRoomPortRange } from '../../scripts/nginx-room-ports.js';

const run = promisify(execFile);

export const NGINX = '/usr/sbin/nginx';
export const SITE_FILE = new URL('../../../config/nginx/chatserver.conf', import.meta.url);

export interface SiteValues {
  httpPort: number;
  httpsPort: number;
  appPort: number;
  certFile: string;
  keyFile: string;
  roomPortMin: number;
  roomPortMax: number;
}

/**
 * The shipped site with each machine-specific value replaced. Every literal must
 * occur exactly once, so a change to the site that this does not know about fails
 * here rather than being tested in a form that does not ship.
 */
export function renderSite(site: string, v: SiteValues): string {
  const substitutions: Array<[string, string]> = [
    ['listen 80 default_server;', `listen 127.0.0.1:${v.httpPort} default_server;`],
    ['listen [::]:80 default_server;', `listen [::1]:${v.httpPort} default_server;`],
    ['listen 443 ssl default_server;', `listen 127.0.0.1:${v.httpsPort} ssl default_server;`],
    ['listen [::]:443 ssl default_server;', `listen [::1]:${v.httpsPort} ssl default_server;`],
    ['server 127.0.0.1:8080;', `server 127.0.0.1:${v.appPort};`],
    ['/etc/ssl/chatserver/fullchain.pem;', `${v.certFile};`],
    ['/etc/ssl/chatserver/privkey.pem;', `${v.keyFile};`],
  ];
  let text = site;
  for (const [from, to] of substitutions) {
    const count = text.split(from).length - 1;
    if (count !== 1) throw new Error(`the NGINX site must contain "${from}" exactly once; found ${count}`);
    text = text.replace(from, to);
  }
  return withRoomPortRange(text, v.roomPortMin, v.roomPortMax);
}

/** A port free on both 127.0.0.1 and ::1 (NGINX listens on both). */
export async function freeLoopbackPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const v4 = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      v4.once('error', reject);
      v4.listen(0, '127.0.0.1', () => resolve((v4.address() as { port: number }).port));
    });
    const v6 = createServer();
    const free = await new Promise<boolean>((resolve) => {
      v6.once('error', () => resolve(false));
      v6.listen(port, '::1', () => resolve(true));
    });
    await Promise.all([v4, v6].map((s) => new Promise((resolve) => (s.listening ? s.close(resolve) : resolve(null)))));
    if (free) return port;
  }
  throw new Error('no port free on both 127.0.0.1 and ::1 after 20 tries');
}

/** A throw-away self-signed certificate for localhost, 127.0.0.1 and ::1. */
export async function makeCertificate(dir: string): Promise<{ certFile: string; keyFile: string; cert: string }> {
  const certFile = join(dir, 'fullchain.pem');
  const keyFile = join(dir, 'privkey.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { certFile, keyFile, cert: await readFile(certFile, 'utf8') };
}

export interface RunningNginx {
  dir: string;
  site: string;
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

/** Checks the rendered site with `nginx -t`, starts nginx and waits until it accepts. */
export async function startNginx(site: string, httpsPort: number): Promise<RunningNginx> {
  const dir = await mkdtemp(join(tmpdir(), 'chatserver-nginx-'));
  // Worker processes drop to "nobody" when started as root; they must reach the temp paths.
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'tmp'));
  const errorLogFile = join(dir, 'error.log');
  await writeFile(join(dir, 'chatserver.conf'), site);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `${k}_temp_path ${dir}/tmp/${k};`);
  await writeFile(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${errorLogFile} info;`,
      'events { worker_connections 256; }',
      'http {',
      '  include /etc/nginx/mime.types;',
      '  default_type application/octet-stream;',
      `  access_log ${dir}/access.log;`,
      ...temp.map((line) => `  ${line}`),
      `  include ${dir}/chatserver.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  const args = ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', errorLogFile];
  const errorLog = () => readFile(errorLogFile, 'utf8').catch(() => '');
  try {
    await run(NGINX, ['-t', '-q', ...args]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`nginx -t refused the rendered site: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  }
  const child = spawn(NGINX, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.on('error', () => undefined);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(httpsPort, child, exited);
  } catch (error) {
    const log = await errorLog();
    await stop();
    throw new Error(`${(error as Error).message}\nstderr: ${stderr}\nerror.log: ${log}`);
  }
  return { dir, site, errorLog, stop };
}

/** Resolves once 127.0.0.1:port accepts a connection; fails if nginx exits first or after 10 s. */
async function waitForPort(port: number, child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (let attempt = 0; attempt < 100; attempt++) {
    if (gone) throw new Error(`nginx exited with code ${String(child.exitCode)} before listening`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nginx did not listen on 127.0.0.1:${port} within 10 s`);
}
