import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Role, ROLES } from './auth.entities';

/**
 * Keys look like `lrs_<prefix>_<secret>`. The prefix finds the row; only a sha256 of the whole key
 * is stored. The secret is 32 random bytes, so a fast hash is enough (no password stretching needed).
 */
const KEY_PATTERN = /^lrs_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$/;

export interface ParsedKey {
  prefix: string;
  key: string;
}

export function generateApiKey(): { key: string; prefix: string; secretHash: string } {
  const prefix = randomBytes(8).toString('hex').slice(0, 10);
  const secret = randomBytes(32).toString('base64url');
  const key = `lrs_${prefix}_${secret}`;
  return { key, prefix, secretHash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function parseApiKey(raw: string | undefined | null): ParsedKey | null {
  if (!raw) return null;
  const match = KEY_PATTERN.exec(raw.trim());
  return match ? { prefix: match[1], key: raw.trim() } : null;
}

export function apiKeyMatches(key: string, storedHash: string): boolean {
  const a = Buffer.from(hashApiKey(key), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Roles are ordered: an admin may do what a curator may, a curator what a reader may. */
export function roleAllows(actual: Role, required: Role): boolean {
  return ROLES.indexOf(actual) >= ROLES.indexOf(required);
}

/** Reads the key from `Authorization: Bearer …` or `X-API-Key`. */
export function apiKeyFromHeaders(headers: Record<string, string | string[] | undefined>): string | null {
  const auth = headers['authorization'];
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '');
  const header = headers['x-api-key'];
  return typeof header === 'string' ? header : null;
}
