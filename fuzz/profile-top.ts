/**
 * The functions that held the main thread longest in a V8 CPU profile (`node --cpu-prof`), by self time and by
 * total time of the project's own functions, so an event-loop blocker is named by measurement, not guessed.
 *
 *   FUZZ_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run fuzz
 *   npx ts-node --transpile-only fuzz/profile-top.ts /tmp/prof/CPU.*.cpuprofile [rows]
 */
import * as fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  selfMs: number;
  totalMs: number;
}

const label = (n: ProfileNode) => {
  const where = n.callFrame.url.replace(/^.*\/(node_modules|dist)\//, '$1/');
  return `${n.callFrame.functionName || '(anonymous)'} ${where}:${n.callFrame.lineNumber + 1}`;
};

/** Self and total (inclusive, each function counted once per stack) milliseconds per function; pure. */
export function functionTimes(profile: CpuProfile): FunctionTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const times = new Map<string, FunctionTime>();
  const entry = (name: string) => times.get(name) ?? times.set(name, { name, selfMs: 0, totalMs: 0 }).get(name)!;
  for (const [id, us] of selfUs) {
    entry(label(byId.get(id)!)).selfMs += us / 1000;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = label(byId.get(at)!);
      if (seen.has(name)) continue;
      seen.add(name);
      entry(name).totalMs += us / 1000;
    }
  }
  return [...times.values()];
}

if (require.main === module) {
  const [file, rowsArg] = process.argv.slice(2);
  const rows = Number(rowsArg ?? 25);
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const times = functionTimes(profile).filter((t) => !/^\((idle|program|garbage collector|root)\)/.test(t.name));
  const print = (title: string, list: FunctionTime[]) => {
    console.log(`\n${title}\n| ms self | ms total | function |\n|---|---|---|`);
    for (const t of list.slice(0, rows)) console.log(`| ${t.selfMs.toFixed(0)} | ${t.totalMs.toFixed(0)} | ${t.name} |`);
  };
  print(
    'By self time',
    [...times].sort((a, b) => b.selfMs - a.selfMs),
  );
  print(
    "The project's own functions by total time",
    times.filter((t) => t.name.includes('dist/src/')).sort((a, b) => b.totalMs - a.totalMs),
  );
}
