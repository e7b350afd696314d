import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { waitFor } from './test-app';

const ROOT = path.resolve(__dirname, '../..');

/** A `node dist/src/main.js` of its own, in a role; `url` serves the API (api) or the probes (worker). */
export interface ServiceProcess {
  role: 'all' | 'api' | 'worker';
  url: string;
  child: ChildProcess;
  output: string[];
}

/** Whether Redis answers PING, checked synchronously so a suite can be skipped with a reason. */
export function redisAnswers(url: string): boolean {
  const { hostname, port } = new URL(url);
  const script = `const s=require('net').connect(${Number(port) || 6379},${JSON.stringify(hostname)});s.setTimeout(1000,()=>process.exit(1));s.on('error',()=>process.exit(1));s.on('connect',()=>s.write('PING\\r\\n'));s.on('data',d=>process.exit(String(d).startsWith('+PONG')?0:1));`;
  return spawnSync(process.execPath, ['-e', script], { timeout: 3000 }).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts the built service (run `tsc -p tsconfig.build.json` first) and waits for /health/live. */
export async function startServiceProcess(env: Record<string, string>, role: ServiceProcess['role']): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], {
    cwd: ROOT,
    env: { ...env, ROLE: role, PORT: String(port), WORKER_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the ${role} process exited with ${child.exitCode}`);
        return (await fetch(`${url}/health/live`).catch(() => null))?.ok;
      },
      180_000,
      200,
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${output.join('')}`);
  }
  return { role, url, child, output };
}

export async function stopServiceProcess(service: ServiceProcess): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  const exited = new Promise((resolve) => service.child.once('exit', resolve));
  service.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
  if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
}

/** The lines a process logged with LOG_FORMAT=json, parsed (other output left out). */
export function jsonLogLines(service: ServiceProcess): { level: string; context?: string; message: string }[] {
  return service.output
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: string; context?: string; message: string });
}

export async function killServiceProcess(service: ServiceProcess): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  const exited = new Promise((resolve) => service.child.once('exit', resolve));
  service.child.kill('SIGKILL');
  await exited;
}
