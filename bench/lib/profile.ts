/**
 * Summarise a V8 .cpuprofile (node --cpu-prof): the functions with the most self time, the most
 * inclusive time, and self time by area (a package under node_modules, a file of ours, node itself).
 * Usage as a script: `npx tsx bench/lib/profile.ts file.cpuprofile [top] [name,name…]` — the names
 * (function names) also print those functions' inclusive time.
 */
import { readFileSync } from 'node:fs';
import { originalLine } from './sourcemap.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface HotSpot {
  fn: string;
  where: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  file: string;
  /** Inclusive time of every function, by "name\twhere" (for focused questions). */
  all?: Map<string, number>;
  totalMs: number;
  /** Time not idle (all but "(idle)"). */
  busyMs: number;
  self: HotSpot[];
  inclusive: HotSpot[];
  areas: { area: string; ms: number; pct: number }[];
}

function where(url: string, line: number, column: number): string {
  if (!url) return '';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return `${url.slice(nm + 14)}:${line + 1}`;
  const path = url.replace(/^(file:)?\/\/.*?\/(server|shared|bench)\//, '$2/');
  // Our TypeScript runs through tsx, which puts a module on one line: map the column back.
  const original = /\.ts$/.test(url) ? originalLine(url, line, column) : null;
  return original !== null ? `${path}:${original}` : `${path}:${line + 1}:${column + 1}`;
}

function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const ours = /\/(server|shared|bench)\/(.*)$/.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keys = new Map<number, string>();
  const key = (n: ProfileNode) => {
    let k = keys.get(n.id);
    if (k === undefined) {
      const f = n.callFrame;
      k = `${f.functionName || '(anonymous)'}\t${where(f.url, f.lineNumber, f.columnNumber)}`;
      keys.set(n.id, k);
    }
    return k;
  };

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  let idle = 0;
  p.samples.forEach((id, i) => {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000; // the delta after a sample is the time spent in it
    const node = byId.get(id)!;
    total += dt;
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      return;
    }
    self.set(key(node), (self.get(key(node)) ?? 0) + dt);
    const a = area(node.callFrame.url, node.callFrame.functionName);
    areas.set(a, (areas.get(a) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  });
  const busy = total - idle;
  const round = (x: number) => Math.round(x * 10) / 10;
  const list = (m: Map<string, number>): HotSpot[] =>
    [...m.entries()]
      .filter(([k]) => !k.startsWith('(root)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => {
        const [fn, at] = k.split('\t');
        return { fn, where: at, ms: round(ms), pct: round((100 * ms) / busy) };
      });
  return {
    file,
    all: inclusive,
    totalMs: round(total),
    busyMs: round(busy),
    self: list(self),
    inclusive: list(inclusive),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([a, ms]) => ({ area: a, ms: round(ms), pct: round((100 * ms) / busy) })),
  };
}

export function profileMarkdown(s: ProfileSummary, top = 12): string {
  const rows = (list: HotSpot[]) => list.slice(0, top).map((h) => `| ${h.pct}% | ${h.ms} | \`${h.fn}\` | ${h.where} |`);
  return [
    `Busy ${s.busyMs} ms of ${s.totalMs} ms sampled.`,
    '',
    '| self % of busy | self ms | function | where |',
    '|---:|---:|---|---|',
    ...rows(s.self),
    '',
    '| inclusive % of busy | ms | function | where |',
    '|---:|---:|---|---|',
    ...rows(s.inclusive),
    '',
    '| area | self ms | % of busy |',
    '|---|---:|---:|',
    ...s.areas.slice(0, top).map((a) => `| ${a.area} | ${a.ms} | ${a.pct}% |`),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, top, focus] = process.argv.slice(2);
  if (!file) {
    console.error('usage: npx tsx bench/lib/profile.ts file.cpuprofile [top] [name,name…]');
    process.exit(2);
  }
  const summary = summarizeProfile(file, Number(top ?? 15));
  console.log(profileMarkdown(summary, Number(top ?? 15)));
  if (focus) {
    const names = new Set(focus.split(','));
    console.log('\n| inclusive % of busy | ms | function | where |\n|---:|---:|---|---|');
    for (const [k, ms] of [...summary.all!].sort((a, b) => b[1] - a[1])) {
      const [fn, where] = k.split('\t');
      if (names.has(fn)) console.log(`| ${Math.round((1000 * ms) / summary.busyMs) / 10}% | ${Math.round(ms)} | \`${fn}\` | ${where} |`);
    }
  }
}
