/**
 * Probes GET /health/live one request at a time and reports each latency to its parent over IPC. It runs as a
 * process of its own so the fuzz client's work (building multi-MB bodies, reading answers) never delays the probe's
 * own clock: what it measures is the service (and the machine), not the client.
 * argv: base URL, pause between probes in ms.
 */
import * as http from 'node:http';

export interface HealthSample {
  /** Date.now() when the answer (or the failure) came. */
  at: number;
  ms: number;
  ok: boolean;
}

const [baseUrl, everyMsText] = process.argv.slice(2);
const everyMs = Number(everyMsText);

function probeOnce(): Promise<HealthSample> {
  return new Promise((resolve) => {
    const started = performance.now();
    const done = (ok: boolean) => resolve({ at: Date.now(), ms: performance.now() - started, ok });
    const req = http.get(`${baseUrl}/health/live`, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => done(false));
  });
}

async function main(): Promise<void> {
  process.on('disconnect', () => process.exit(0));
  for (;;) {
    process.send?.(await probeOnce());
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

if (require.main === module) void main();
