import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { guardPath, isInside, openGuardedFile, PathRefusedError, readChunks, readGuardedFile, realRoots } from './path-guard';

describe('path guard', () => {
  let base: string;
  let root: string;
  let outside: string;

  beforeAll(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'path-guard-')));
    root = path.join(base, 'root');
    outside = path.join(base, 'outside');
    fs.mkdirSync(path.join(root, 'folder'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(root, 'inside.csv'), 'a,b\n');
    fs.writeFileSync(path.join(outside, 'secret.csv'), 'x\n');
    fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(root, 'link-out.csv'));
    fs.symlinkSync(path.join(root, 'inside.csv'), path.join(root, 'link-in.csv'));
    fs.symlinkSync(outside, path.join(root, 'folder-out'));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  const refusal = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PathRefusedError);
    return error as PathRefusedError;
  };

  it('isInside: the root itself and paths below it, not siblings sharing a prefix or parents', () => {
    expect(isInside('/data', '/data')).toBe(true);
    expect(isInside('/data', '/data/a/b.csv')).toBe(true);
    expect(isInside('/data', '/data/..hidden')).toBe(true);
    expect(isInside('/data', '/database/x')).toBe(false);
    expect(isInside('/data', '/')).toBe(false);
    expect(isInside('/data', '/data/../etc/passwd')).toBe(false);
  });

  it('accepts a regular file and a folder under the roots, returning the real path', async () => {
    const roots = await realRoots([root]);
    expect((await guardPath(path.join(root, 'inside.csv'), 'file', { roots })).path).toBe(path.join(root, 'inside.csv'));
    expect((await guardPath(path.join(root, 'link-in.csv'), 'file', { roots })).path).toBe(path.join(root, 'inside.csv'));
    expect((await guardPath(path.join(root, 'folder'), 'directory', { roots })).path).toBe(path.join(root, 'folder'));
  });

  it('gives one answer for a path outside the roots, a missing one and a symlink leading out', async () => {
    const roots = await realRoots([root]);
    const messages = [];
    for (const target of [
      path.join(outside, 'secret.csv'),
      path.join(outside, 'nope.csv'),
      path.join(root, 'nope.csv'),
      path.join(root, 'link-out.csv'),
      path.join(root, '../outside/secret.csv'),
    ]) {
      const error = await refusal(guardPath(target, 'file', { roots }));
      expect(error.reason).toBe('not-found');
      messages.push(error.message);
    }
    expect(new Set(messages).size).toBe(1);
    expect((await refusal(guardPath(path.join(root, 'folder-out'), 'directory', { roots }))).reason).toBe('not-found');
  });

  it('refuses devices, FIFOs and folders where a regular file is wanted, even with no roots', async () => {
    const fifo = path.join(root, 'pipe');
    execFileSync('mkfifo', [fifo]);
    for (const target of ['/dev/zero', '/dev/urandom', fifo]) {
      const error = await refusal(guardPath(target, 'file', { roots: null }));
      expect(error.reason).toBe('wrong-kind');
      expect(error.message).toMatch(/not a regular file/);
    }
    expect((await refusal(guardPath(fifo, 'file', { roots: await realRoots([root]) }))).reason).toBe('wrong-kind');
    expect((await refusal(guardPath(root, 'file', { roots: null }))).message).toMatch(/a folder/);
    expect((await refusal(guardPath(path.join(root, 'inside.csv'), 'directory', { roots: null }))).reason).toBe('wrong-kind');
  });

  it('refuses a file over the size bound before reading it', async () => {
    const error = await refusal(guardPath(path.join(root, 'inside.csv'), 'file', { roots: null, maxBytes: 3 }));
    expect(error.reason).toBe('too-large');
    expect(error.message).toMatch(/4 bytes, over the limit of 3/);
  });

  it('drops roots that do not exist', async () => {
    expect(await realRoots([root, path.join(base, 'missing')])).toEqual([root]);
  });

  it('reads a guarded file whole, and in chunks with a bound that stops a file that grew', async () => {
    const file = path.join(root, 'data.bin');
    fs.writeFileSync(file, Buffer.alloc(10_000, 7));
    const guarded = await guardPath(file, 'file', { roots: null });
    expect((await readGuardedFile(guarded, 1e6)).length).toBe(10_000);
    const handle = await openGuardedFile(guarded);
    try {
      let total = 0;
      for await (const chunk of readChunks(handle, 10_000, 4096)) total += chunk.length;
      expect(total).toBe(10_000);
      const error = await refusal(
        (async () => {
          for await (const chunk of readChunks(handle, 9_999, 4096)) void chunk;
        })(),
      );
      expect(error.reason).toBe('too-large');
    } finally {
      await handle.close();
    }
  });

  it('does not open a file that was swapped for another since it was checked', async () => {
    const file = path.join(root, 'swapped.csv');
    fs.writeFileSync(file, 'one');
    const guarded = await guardPath(file, 'file', { roots: null });
    fs.rmSync(file);
    fs.writeFileSync(path.join(root, 'other.csv'), 'two');
    fs.symlinkSync(path.join(root, 'other.csv'), file);
    await refusal(openGuardedFile(guarded));
  });
});
