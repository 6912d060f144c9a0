/**
 * Logging through winston to stdout: JSON lines in production (for a log
 * aggregator), readable lines in development. Components take a child logger
 * (`logger.child({ component: 'supervisor' })`); room workers send their lines to
 * the master, which writes them through a child carrying `room`, so every line of
 * the process comes out of one writer in one format.
 */
import winston from 'winston';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'verbose' | 'debug' | 'silly';

const readable = winston.format.printf((info) => {
  const { timestamp, level, message, component, room, ...rest } = info;
  const where = [component, room === undefined ? undefined : `room=${String(room)}`].filter(Boolean).join(' ');
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  return `${String(timestamp)} ${level} ${where ? `[${where}] ` : ''}${String(message)}${extra}`;
});

export function createLogger(options: { level: string; json: boolean; silent?: boolean }): Logger {
  return winston.createLogger({
    level: options.level,
    silent: options.silent ?? false,
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      winston.format.timestamp(),
      options.json ? winston.format.json() : readable,
    ),
    transports: [new winston.transports.Console()],
  });
}

/** An error's useful parts for a log line (message, code, cause), without a stack in production. */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const described: Record<string, unknown> = { error: error.message };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) described.code = code;
  if (error.stack) described.stack = error.stack;
  if (error.cause !== undefined) described.cause = describeError(error.cause).error;
  return described;
}
