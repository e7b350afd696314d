import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeGray8 } from '../../src/imaging/decode';

/**
 * What the de-identification e2e tests (DICOM archive, PACS import) share: real slices to build their
 * identifying studies from, the process output they search for leaks, and the CLI they kill mid-import.
 */

const ROOT = path.resolve(__dirname, '../..');

/** Real DeepLesion key slices (8-bit, HU -1024..3071), averaged down to side² so the tests stay quick. */
export function downsampledRealSlices(samplesDir: string, count: number, side: number): Float32Array[] {
  const names = fs
    .readdirSync(path.join(samplesDir, 'images'))
    .filter((n) => n.endsWith('.jpg'))
    .sort()
    .slice(0, count);
  return names.map((name) => {
    const hu = decodeGray8(fs.readFileSync(path.join(samplesDir, 'images', name)), { low: -1024, high: 3071 });
    const f = hu.width / side;
    const out = new Float32Array(side * side);
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        let sum = 0;
        for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) sum += hu.data[(y * f + dy) * hu.width + x * f + dx];
        out[y * side + x] = Math.round(sum / (f * f));
      }
    return out;
  });
}

/** Copies everything this process writes to stdout and stderr into `captured` (the logs searched for leaks); undone by jest.restoreAllMocks(). */
export function captureOutput(captured: string[]): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    jest.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => {
      captured.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof stream.write);
  }
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs the CLI from source in a child process with this environment (added to the test's own); resolves when it exits. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise<CliRun>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, output })));
}

/** "where: value" for each identifying value found in a text: an empty list means no leak. */
export function leaksIn(where: string, text: string, identifying: readonly string[]): string[] {
  return identifying.filter((value) => text.includes(value)).map((value) => `${where}: ${value}`);
}
