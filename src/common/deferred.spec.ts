import { deferred } from './deferred';

describe('deferred', () => {
  it('settles its promise from outside: resolved with the value, or rejected with the reason', async () => {
    const resolved = deferred<number>();
    resolved.resolve(7);
    await expect(resolved.promise).resolves.toBe(7);
    const rejected = deferred<number>();
    rejected.reject(new Error('no job'));
    await expect(rejected.promise).rejects.toThrow('no job');
  });
});
