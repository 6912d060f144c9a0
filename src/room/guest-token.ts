/**
 * Guest tokens: a guest's id signed by the server (HMAC-SHA256 with the guest
 * secret, GUEST_SECRET or the one kept in DATA_DIR), handed out in `welcome`, so
 * a later join with it is the same guest and moderation holds on to them. The
 * token is opaque to clients: `<id>.<signature>`, both base64url.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What the signature covers besides the id: a token of another kind never passes as a guest token. */
const PURPOSE = 'chatserver guest token v1\n';
const GUEST_PREFIX = 'guest:';

export class GuestTokens {
  private readonly key: Buffer;

  constructor(secret: string) {
    // Without a secret (a room built outside a server) tokens still work within the process.
    this.key = secret === '' ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  /** A fresh guest id. */
  static newId(): string {
    return `${GUEST_PREFIX}${randomBytes(9).toString('base64url')}`;
  }

  issue(id: string): string {
    return `${Buffer.from(id).toString('base64url')}.${this.sign(id).toString('base64url')}`;
  }

  /** The guest id a token was issued for, or null when it is forged, altered (even by padding) or not a guest token. */
  verify(token: string): string | null {
    const [encodedId, signature, extra] = token.split('.');
    if (encodedId === undefined || signature === undefined || extra !== undefined) return null;
    const id = Buffer.from(encodedId, 'base64url').toString('utf8');
    if (!id.startsWith(GUEST_PREFIX) || Buffer.from(id).toString('base64url') !== encodedId) return null;
    const given = Buffer.from(signature, 'base64url');
    const expected = this.sign(id);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    // Node's base64url decoding skips padding and junk: only the exact text issue() gives
    // passes, so the token a returning guest is welcomed with is one the server wrote.
    return signature === expected.toString('base64url') ? id : null;
  }

  private sign(id: string): Buffer {
    return createHmac('sha256', this.key).update(PURPOSE).update(id).digest();
  }
}
