import * as fs from 'node:fs';
import * as os from 'node:os';
import { UploadPool } from './upload-pool';

/** Nice values of this process's threads, main thread first (Linux keeps one per thread). */
function threadNiceValues(): { tid: number; nice: number }[] {
  return fs
    .readdirSync('/proc/self/task')
    .map(Number)
    .sort((a, b) => (a === process.pid ? -1 : b === process.pid ? 1 : a - b))
    .map((tid) => {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the command name: state is field 3, nice field 19.
      return { tid, nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) };
    });
}

const linux = fs.existsSync('/proc/self/task');
(linux ? describe : describe.skip)('UploadPool worker priority (Linux /proc; skipped elsewhere)', () => {
  it('lowers its decode threads to the configured nice value and leaves the event loop’s thread alone', async () => {
    const loopNice = os.getPriority();
    const before = new Set(threadNiceValues().map((t) => t.tid));
    const pool = new UploadPool(1, 1, { niceness: 7 });
    try {
      let lowered: { tid: number; nice: number }[] = [];
      for (const until = Date.now() + 20_000; Date.now() < until && !lowered.length; await new Promise((r) => setTimeout(r, 50))) {
        lowered = threadNiceValues().filter((t) => !before.has(t.tid) && t.nice === 7);
      }
      expect(lowered).toHaveLength(1);
      expect(threadNiceValues()[0]).toEqual({ tid: process.pid, nice: loopNice });
    } finally {
      await pool.close();
    }
  }, 30_000);
});
