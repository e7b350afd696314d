import { cacheName, CachedStudy, studiesToEvict } from './pacs-cache';

describe('cacheName', () => {
  it('is 32 hex characters, stable for one secret and input, and different across secrets, purposes and inputs', () => {
    const name = cacheName('secret-0123456789', 'study', 'pacs', '1.2.3');
    expect(name).toMatch(/^[0-9a-f]{32}$/);
    expect(cacheName('secret-0123456789', 'study', 'pacs', '1.2.3')).toBe(name);
    expect(cacheName('another-secret-00', 'study', 'pacs', '1.2.3')).not.toBe(name);
    expect(cacheName('secret-0123456789', 'instance', 'pacs', '1.2.3')).not.toBe(name);
    expect(cacheName('secret-0123456789', 'study', 'pacs', '1.2.4')).not.toBe(name);
    // Parts are separated: ("pacs1", "2.3") is not ("pacs", "12.3").
    expect(cacheName('secret-0123456789', 'study', 'pacs1', '2.3')).not.toBe(cacheName('secret-0123456789', 'study', 'pacs', '12.3'));
  });

  it('never contains the UID it names', () => {
    expect(cacheName('secret-0123456789', 'instance', '1.2.826.0.1.3680043.77.1.1')).not.toContain('1.2.826');
  });
});

describe('studiesToEvict', () => {
  const studies: CachedStudy[] = [
    { name: 'b', bytes: 300, lastUsedMs: 2000 },
    { name: 'a', bytes: 200, lastUsedMs: 1000 },
    { name: 'c', bytes: 400, lastUsedMs: 3000 },
  ];

  it('evicts nothing while the cache and the incoming bytes fit', () => {
    expect(studiesToEvict(studies, 1000, 100, new Set())).toEqual({ evict: [], fits: true });
  });

  it('evicts the least recently used studies first, only as many as needed', () => {
    expect(studiesToEvict(studies, 1000, 150, new Set())).toEqual({ evict: ['a'], fits: true });
    expect(studiesToEvict(studies, 1000, 450, new Set())).toEqual({ evict: ['a', 'b'], fits: true });
  });

  it('never evicts a study in use, and says when nothing else frees enough', () => {
    expect(studiesToEvict(studies, 1000, 450, new Set(['a']))).toEqual({ evict: ['b', 'c'], fits: true });
    expect(studiesToEvict(studies, 500, 200, new Set(['c']))).toEqual({ evict: ['a', 'b'], fits: false });
  });

  it('breaks ties in age by name, so the choice is deterministic', () => {
    const same = [
      { name: 'y', bytes: 10, lastUsedMs: 5 },
      { name: 'x', bytes: 10, lastUsedMs: 5 },
    ];
    expect(studiesToEvict(same, 10, 0, new Set())).toEqual({ evict: ['x'], fits: true });
  });

  it('does not modify its input', () => {
    const copy = studies.map((s) => ({ ...s }));
    studiesToEvict(studies, 0, 0, new Set());
    expect(studies).toEqual(copy);
  });
});
