/**
 * What a V8 heap snapshot holds, by constructor (or closure / string / array kind): count and self
 * size. With two snapshots (before and after the learners connected) and their number, what each
 * learner costs, biggest first. `npx tsx bench/lib/heap.ts AFTER.heapsnapshot [BEFORE.heapsnapshot N] [top]`
 */
import { readFileSync } from 'node:fs';

export interface HeapGroup {
  /** `type:name`, e.g. `object:Socket`, `closure:onclose`, `string`, `array:(object elements)`. */
  key: string;
  count: number;
  bytes: number;
}

interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: (string[] | string)[]; edge_fields: string[]; edge_types: (string[] | string)[] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** The key of each node (as heapGroups groups them). */
function nodeKey(snap: Snapshot, i: number): string {
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0] as string[];
  const type = types[snap.nodes[i + fields.indexOf('type')]];
  const named = type === 'object' || type === 'closure' || type === 'native' || type === 'array' || type === 'hidden';
  return named ? `${type}:${snap.strings[snap.nodes[i + fields.indexOf('name')]].slice(0, 60)}` : type;
}

/** Who holds the nodes of one key: parent key and edge name, by count (the retainers to look at first). */
export function holders(file: string, key: string, top = 15): [string, number][] {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const { node_fields: nf, edge_fields: ef, edge_types } = snap.snapshot.meta;
  const width = nf.length;
  const ewidth = ef.length;
  const eTypes = edge_types[0] as string[];
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f));
  const fEdges = nf.indexOf('edge_count');
  const counts = new Map<string, number>();
  let e = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const edgeCount = snap.nodes[i + fEdges];
    let parent: string | undefined;
    for (let k = 0; k < edgeCount; k++, e += ewidth) {
      const to = snap.edges[e + eTo];
      if (nodeKey(snap, to) !== key) continue;
      parent ??= nodeKey(snap, i);
      const t = eTypes[snap.edges[e + eType]];
      const name = t === 'element' || t === 'hidden' ? `[${t}]` : String(snap.strings[snap.edges[e + eName]]).slice(0, 40);
      const label = `${parent} .${name}`;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, top);
}

/** Count and self size of every node of a snapshot, grouped by kind and name. */
export function heapGroups(file: string): Map<string, HeapGroup> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0] as string[];
  const width = fields.length;
  const [fType, fName, fSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const groups = new Map<string, HeapGroup>();
  const { nodes, strings } = snap;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + fType]];
    // Strings are grouped together (their name is their content); objects and closures by name.
    const named = type === 'object' || type === 'closure' || type === 'native' || type === 'array' || type === 'hidden';
    const key = named ? `${type}:${strings[nodes[i + fName]].slice(0, 60)}` : type;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, count: 0, bytes: 0 }));
    g.count += 1;
    g.bytes += nodes[i + fSize];
  }
  return groups;
}

/** after − before, per unit (learner), biggest first. */
export function perUnit(after: Map<string, HeapGroup>, before: Map<string, HeapGroup>, units: number): HeapGroup[] {
  return [...after.values()]
    .map((a) => {
      const b = before.get(a.key);
      return { key: a.key, count: (a.count - (b?.count ?? 0)) / units, bytes: (a.bytes - (b?.bytes ?? 0)) / units };
    })
    .sort((x, y) => y.bytes - x.bytes);
}

export function heapMarkdown(groups: HeapGroup[], top: number, unit = ''): string {
  const total = groups.reduce((s, g) => s + g.bytes, 0);
  const rows = groups
    .slice(0, top)
    .map((g) => `| ${g.key.replace(/\|/g, '\\|')} | ${Math.round(g.count * 100) / 100} | ${Math.round(g.bytes)} |`);
  return [`| kind:name | count${unit} | bytes${unit} |`, '|---|---:|---:|', ...rows, `| **all** | | **${Math.round(total)}** |`].join('\n');
}

if (import.meta.filename === process.argv[1]) {
  if (process.argv[2] === '--who') {
    for (const [label, n] of holders(process.argv[3], process.argv[4], Number(process.argv[5] ?? 15)))
      console.log(String(n).padStart(8), label);
    process.exit(0);
  }
  const [after, before, n, top] = process.argv.slice(2);
  if (!after) {
    console.error('usage: npx tsx bench/lib/heap.ts AFTER.heapsnapshot [BEFORE.heapsnapshot LEARNERS] [top]');
    process.exit(2);
  }
  if (before && n) {
    console.log(heapMarkdown(perUnit(heapGroups(after), heapGroups(before), Number(n)), Number(top ?? 30), ' per learner'));
  } else {
    const groups = [...heapGroups(after).values()].sort((x, y) => y.bytes - x.bytes);
    console.log(heapMarkdown(groups, Number(before ?? 30)));
  }
}
