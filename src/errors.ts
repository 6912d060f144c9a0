/**
 * The one table of API error codes. Each code has an HTTP status and a default
 * message; handlers throw ApiError with a message that says what to fix, and the
 * error middleware (src/http/error-handler.ts) turns it into
 * `{"error":{"code","message"}}`. Anything else becomes INTERNAL / 500.
 */
export const errorCodes = {
  BAD_REQUEST: { status: 400, message: 'The request is malformed' },
  UNAUTHORIZED: { status: 401, message: 'A valid X-API-Key header is required' },
  FORBIDDEN: { status: 403, message: 'This address may not use this API' },
  NOT_FOUND: { status: 404, message: 'No such resource' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  TOO_MANY_REQUESTS: { status: 429, message: 'Too many requests; retry later' },
  INTERNAL: { status: 500, message: 'Internal error; it has been logged' },
  UNAVAILABLE: { status: 503, message: 'The server is not accepting this request now' },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string = errorCodes[code].message,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = errorCodes[code].status;
    this.headers = options?.headers ?? {};
  }
  readonly headers: Record<string, string>;
}
