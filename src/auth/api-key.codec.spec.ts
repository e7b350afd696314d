import { apiKeyFromHeaders, apiKeyMatches, generateApiKey, parseApiKey, roleAllows } from './api-key.codec';

describe('api key codec', () => {
  it('generates keys that parse and match their stored hash only', () => {
    const { key, prefix, secretHash } = generateApiKey();
    const parsed = parseApiKey(key);
    expect(parsed).toEqual({ prefix, key });
    expect(apiKeyMatches(key, secretHash)).toBe(true);
    expect(apiKeyMatches(key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A'), secretHash)).toBe(false);
    expect(secretHash).not.toContain(key.split('_')[2]);
  });

  it('rejects malformed keys', () => {
    expect(parseApiKey('')).toBeNull();
    expect(parseApiKey('lrs_short_x')).toBeNull();
    expect(parseApiKey('Bearer lrs_0123456789_' + 'a'.repeat(43))).toBeNull();
  });

  it('orders roles reader < curator < admin', () => {
    expect(roleAllows('admin', 'curator')).toBe(true);
    expect(roleAllows('curator', 'reader')).toBe(true);
    expect(roleAllows('reader', 'curator')).toBe(false);
    expect(roleAllows('curator', 'admin')).toBe(false);
  });

  it('reads the key from Authorization or X-API-Key', () => {
    expect(apiKeyFromHeaders({ authorization: 'Bearer abc' })).toBe('abc');
    expect(apiKeyFromHeaders({ 'x-api-key': 'xyz' })).toBe('xyz');
    expect(apiKeyFromHeaders({ authorization: 'Basic abc' })).toBeNull();
  });
});
