import { createHmac } from 'node:crypto';

/** A study's folder in the cache: its name, the bytes it holds and when it was last used. */
export interface CachedStudy {
  name: string;
  bytes: number;
  lastUsedMs: number;
}

/**
 * A cache file or folder name: 32 hex of HMAC(secret, purpose, parts). UIDs identify patients' studies,
 * so the cache names what it holds by keyed hashes only; the same request finds the same names again.
 */
export function cacheName(secret: string, purpose: 'study' | 'instance', ...parts: string[]): string {
  const hmac = createHmac('sha256', secret).update(`dicomweb-cache-${purpose}`);
  for (const part of parts) hmac.update('\0').update(part);
  return hmac.digest('hex').slice(0, 32);
}

/**
 * The studies to delete, oldest first, so that the cache plus `incomingBytes` fits `maxBytes`; studies in
 * `inUse` (the running import's) are never chosen. `fits` is false when even evicting every other study
 * leaves the cache over its bound.
 */
export function studiesToEvict(
  studies: readonly CachedStudy[],
  maxBytes: number,
  incomingBytes: number,
  inUse: ReadonlySet<string>,
): { evict: string[]; fits: boolean } {
  let total = incomingBytes + studies.reduce((sum, s) => sum + s.bytes, 0);
  const evict: string[] = [];
  const candidates = studies.filter((s) => !inUse.has(s.name)).sort((a, b) => a.lastUsedMs - b.lastUsedMs || a.name.localeCompare(b.name));
  for (const study of candidates) {
    if (total <= maxBytes) break;
    evict.push(study.name);
    total -= study.bytes;
  }
  return { evict, fits: total <= maxBytes };
}
