import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { DicomWebError, DicomWebRepository } from './dicomweb.repository';

describe('DicomWebRepository (local HTTP server)', () => {
  let server: http.Server;
  let base: string;
  const seen: http.IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      if (req.url === '/rs/declared-big') {
        res.writeHead(200, { 'Content-Length': String(10_000) });
        res.end(Buffer.alloc(10_000));
      } else if (req.url === '/rs/streamed-big') {
        res.writeHead(200);
        const timer = setInterval(() => res.write(Buffer.alloc(1000)), 1);
        res.on('close', () => clearInterval(timer));
      } else if (req.url === '/rs/hang') {
        // never answers
      } else if (req.url === '/rs/missing') {
        res.writeHead(404).end('no');
      } else {
        res.writeHead(200, { 'Content-Type': 'application/dicom+json' }).end('[]');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rs`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const repo = new DicomWebRepository();
  const source = () => ({ name: 'local', baseUrl: base, authorization: 'Bearer t0k' });
  const options = { accept: 'application/dicom+json', timeoutMs: 500, maxBytes: 5000 };
  const kind = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) => (e instanceof DicomWebError ? e.kind : `other: ${String(e)}`),
    );

  it('sends Accept and the source’s Authorization header, and returns the body', async () => {
    const response = await repo.request(source(), '/studies', options);
    expect(response.body.toString()).toBe('[]');
    expect(seen[seen.length - 1]).toMatchObject({ accept: 'application/dicom+json', authorization: 'Bearer t0k' });
  });

  it('refuses an answer over the bound, whether declared or streamed', async () => {
    expect(await kind(repo.request(source(), '/declared-big', options))).toBe('too-large');
    expect(await kind(repo.request(source(), '/streamed-big', options))).toBe('too-large');
  });

  it('stops waiting at the timeout, tells a 404 apart, and a closed port is unreachable', async () => {
    const started = Date.now();
    expect(await kind(repo.request(source(), '/hang', options))).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await kind(repo.request(source(), '/missing', options))).toBe('not-found');
    expect(await kind(repo.request({ ...source(), baseUrl: 'http://127.0.0.1:1/rs' }, '/studies', options))).toBe('unreachable');
  });
});
