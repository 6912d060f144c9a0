/**
 * The one place errors become HTTP answers: `{"error":{"code","message"}}` with the
 * status from src/errors.ts. Body-parser failures are the client's (400, 413), and
 * so is a path the router cannot decode (a URIError: malformed percent-encoding in
 * a route parameter), answered 400 without a log line at error level; anything
 * unexpected is logged and answered 500 without a stack trace.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ApiError, errorCodes } from '../errors.js';
import { describeError, type Logger } from '../logger.js';
import { NoSlotError } from '../master/rooms.js';
import { badPercentEncoding, echo } from './validate.js';

/** Seconds a client should wait before retrying a create that found no free slot. */
export const NO_SLOT_RETRY_AFTER_S = 30;

/** How many rooms may be open and how many are: what a "no slot" answer tells the operator. */
export interface SlotState {
  maxRooms: number;
  open: number;
  draining: boolean;
}

/**
 * A create that found no slot, as the UNAVAILABLE error naming why: the server is
 * draining, every MAX_ROOMS slot is taken, or a resource below it (room ports,
 * worker slots, descriptors) ran out first.
 */
export function noSlot(error: NoSlotError, slots?: SlotState): ApiError {
  const headers = { 'Retry-After': String(NO_SLOT_RETRY_AFTER_S) };
  const prefix = 'No more rooms can be created';
  let why: string;
  if (slots === undefined) why = error.message;
  else if (slots.draining) why = 'the server is draining; POST /api/v1/resume on the admin API accepts rooms again';
  else if (slots.open >= slots.maxRooms)
    why = `MAX_ROOMS=${slots.maxRooms} rooms are open; retry later, or raise MAX_ROOMS`;
  else why = `${error.message} (MAX_ROOMS=${slots.maxRooms}, ${slots.open} rooms are open)`;
  return new ApiError('UNAVAILABLE', `${prefix}: ${why}`, { cause: error, headers });
}

/** The path as the client sent it (undecoded), without the query string. */
const rawPath = (url: string): string => url.split('?')[0] ?? '';

export function notFound(): RequestHandler {
  return (req, _res, next) => {
    // A path no route matched may still be undecodable: that is the client's error to fix first.
    const path = rawPath(req.originalUrl);
    if (badPercentEncoding(path)) next(malformedPath(path));
    else next(new ApiError('NOT_FOUND', `No such path: ${req.method} ${req.path}`));
  };
}

function malformedPath(path: string, cause?: unknown): ApiError {
  return new ApiError('BAD_REQUEST', `Malformed percent-encoding in the path: "${echo(path)}"`, { cause });
}

/**
 * Express's router decodes each route parameter with decodeURIComponent and
 * passes on its URIError (with `status` 400, "Failed to decode param '…'").
 */
function fromDecoding(error: unknown, url: string): ApiError | null {
  if (!(error instanceof URIError)) return null;
  const param = /param '(.*)'$/s.exec(error.message)?.[1];
  if (param === undefined) return malformedPath(rawPath(url), error);
  return new ApiError('BAD_REQUEST', `Malformed percent-encoding in the path segment "${echo(param)}"`, {
    cause: error,
  });
}

/** Errors thrown by express.json(), recognised by their documented `type`. */
function fromBodyParser(error: { type?: unknown; limit?: unknown }): ApiError | null {
  switch (error.type) {
    case 'entity.parse.failed':
      return new ApiError('BAD_REQUEST', 'The body is not valid JSON', { cause: error });
    case 'entity.too.large':
      return new ApiError('PAYLOAD_TOO_LARGE', `The body is larger than ${String(error.limit)} bytes`, {
        cause: error,
      });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError('BAD_REQUEST', 'The body must be UTF-8 JSON', { cause: error });
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new ApiError('BAD_REQUEST', 'The body could not be read', { cause: error });
    default:
      return null;
  }
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    // A create with no slot is UNAVAILABLE with Retry-After; the router that knows
    // the slot counts says why (src/http/public-router.ts), this is the fallback.
    const apiError =
      error instanceof ApiError
        ? error
        : error instanceof NoSlotError
          ? noSlot(error)
          : (fromDecoding(error, req.originalUrl) ?? fromBodyParser((error ?? {}) as { type?: unknown }));
    if (apiError === null) {
      logger.error('Request failed', { method: req.method, path: req.path, ...describeError(error) });
      res
        .status(errorCodes.INTERNAL.status)
        .json({ error: { code: 'INTERNAL', message: errorCodes.INTERNAL.message } });
      return;
    }
    res
      .set(apiError.headers)
      .status(apiError.status)
      .json({ error: { code: apiError.code, message: apiError.message } });
  };
}
