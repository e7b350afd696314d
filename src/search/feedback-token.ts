import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Proof that a similar search returned `hitLesionId` for `queryLesionId`: each hit of a search by lesion
 * carries `expiresAtMs.hmac(query:hit:expiresAtMs)`, and feedback must present it. Exact (whatever filters,
 * k or re-ranking the search used) and stateless; the cost is that tokens die with the key that signed them.
 */
export function signFeedbackToken(secret: Buffer, queryLesionId: number, hitLesionId: number, expiresAtMs: number): string {
  return `${expiresAtMs}.${mac(secret, queryLesionId, hitLesionId, expiresAtMs)}`;
}

export type FeedbackTokenCheck = 'valid' | 'expired' | 'invalid';

export function checkFeedbackToken(secret: Buffer, token: string, queryLesionId: number, hitLesionId: number, nowMs: number): FeedbackTokenCheck {
  const match = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return 'invalid';
  const expiresAtMs = Number(match[1]);
  const expected = Buffer.from(mac(secret, queryLesionId, hitLesionId, expiresAtMs));
  if (!timingSafeEqual(expected, Buffer.from(match[2]))) return 'invalid';
  return nowMs > expiresAtMs ? 'expired' : 'valid';
}

function mac(secret: Buffer, queryLesionId: number, hitLesionId: number, expiresAtMs: number): string {
  return createHmac('sha256', secret).update(`${queryLesionId}:${hitLesionId}:${expiresAtMs}`).digest('base64url');
}
