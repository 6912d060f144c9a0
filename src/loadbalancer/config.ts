/**
 * The load-balancer service's configuration: its own small set of variables,
 * validated the way src/config.ts validates the chat server's (each problem named,
 * all reported at once). It reads only the real environment, never `.env`: that
 * file belongs to the chat server, whose PORT and KEY are not the balancer's.
 *
 * LB_PORT and LB_KEY win; PORT and KEY are accepted as well, as the original
 * balancer read them, so an existing deployment's environment keeps working.
 */
import { z } from 'zod';
import { ConfigError } from '../config.js';

export interface LbConfig {
  env: 'development' | 'production' | 'test';
  logLevel: string;
  port: number;
  /** Address to listen on; empty means every interface. */
  bind: string;
  key: string;
  /** A server with no heartbeat for this long is dropped. */
  expiryMs: number;
}

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

/** Each variable: where its value comes from (first set wins), its schema and its default. */
const variables = {
  NODE_ENV: [['NODE_ENV'], z.enum(['development', 'production', 'test']), 'development'],
  LOG_LEVEL: [['LOG_LEVEL'], z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']), 'info'],
  LB_PORT: [['LB_PORT', 'PORT'], int(0, 65535), '80'],
  LB_BIND: [['LB_BIND'], z.union([z.literal(''), z.ipv4(), z.ipv6()], { error: 'must be an IP address' }), ''],
  LB_KEY: [
    ['LB_KEY', 'KEY'],
    z.string().trim().min(1, 'required: the X-API-Key chat servers send (LB_KEY or KEY)'),
    '',
  ],
  LB_EXPIRY_S: [['LB_EXPIRY_S'], int(1, 86_400), '30'],
} as const satisfies Record<string, readonly [readonly string[], z.ZodType, string]>;

export function loadLbConfig(env: Record<string, string | undefined>): LbConfig {
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};
  for (const [name, [sources, schema, fallback]] of Object.entries(variables)) {
    const source = sources.find((s) => (env[s] ?? '').trim() !== '');
    const given = source === undefined ? undefined : env[source];
    const result = (schema as z.ZodType).safeParse(given ?? fallback);
    if (result.success) raw[name] = result.data;
    else
      problems.push(
        `${source ?? name}=${JSON.stringify(given ?? '')}: ${result.error.issues.map((i) => i.message).join('; ')}`,
      );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    env: raw.NODE_ENV as LbConfig['env'],
    logLevel: raw.LOG_LEVEL as string,
    port: raw.LB_PORT as number,
    bind: raw.LB_BIND as string,
    key: raw.LB_KEY as string,
    expiryMs: (raw.LB_EXPIRY_S as number) * 1000,
  });
}
