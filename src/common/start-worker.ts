import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker thread `<dir>/<name>`: the `.js` file when this tree is compiled, else the `.ts` file
 * with ts-node (tests, ts-node scripts). The worker gets a copy of this module's process.env: the default,
 * except under jest, whose sandboxed process.env (where tests set crash and stall points) the default would
 * not pass on.
 */
export function startWorker(dir: string, name: string, workerData?: unknown): Worker {
  const compiled = __filename.endsWith('.js');
  return new Worker(path.join(dir, `${name}${compiled ? '.js' : '.ts'}`), {
    workerData,
    execArgv: compiled ? [] : ['-r', 'ts-node/register/transpile-only'],
    env: { ...process.env },
  });
}
