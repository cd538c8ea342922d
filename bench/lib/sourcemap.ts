/**
 * Map a position in code that tsx compiled (whitespace-minified: mostly on one line) back to the
 * TypeScript source line, through the source maps tsx keeps in its cache (os.tmpdir()/tsx-<uid>/,
 * JSON files { code, map }). Used to give profile hot spots real file:line locations. Best effort:
 * null when no cached map is found.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Cached {
  mtime: number;
  /** Per generated line, its segments: [generated column, original line], sorted by column. */
  lines: [number, number][][];
}

let index: Map<string, Cached> | null = null;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Map([...B64].map((c, i) => [c, i]));

/** Decode a source map's mappings into, per generated line, [column, original line] pairs. */
function decodeMappings(mappings: string): [number, number][][] {
  const lines: [number, number][][] = [];
  let srcLine = 0; // relative across the whole map; the generated column restarts on each line
  for (const line of mappings.split(';')) {
    const out: [number, number][] = [];
    lines.push(out);
    let col = 0;
    for (const seg of line.split(',')) {
      if (!seg) continue;
      const values: number[] = [];
      let shift = 0;
      let value = 0;
      for (const ch of seg) {
        const digit = B64_VALUE.get(ch)!;
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      col += values[0];
      if (values.length >= 4) {
        srcLine += values[2];
        out.push([col, srcLine]);
      }
    }
  }
  return lines;
}

function buildIndex(): Map<string, Cached> {
  const map = new Map<string, Cached>();
  const dir = join(tmpdir(), `tsx-${process.getuid?.() ?? 0}`);
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return map;
  }
  for (const f of files) {
    const path = join(dir, f);
    try {
      const mtime = statSync(path).mtimeMs;
      const entry = JSON.parse(readFileSync(path, 'utf8')) as { map?: { sources?: string[]; mappings?: string } };
      const source = entry.map?.sources?.[0];
      if (!source || !entry.map?.mappings) continue;
      const known = map.get(source);
      if (known && known.mtime >= mtime) continue;
      map.set(source, { mtime, lines: decodeMappings(entry.map.mappings) });
    } catch {
      // not a cache entry we understand
    }
  }
  return map;
}

/** The 1-based source line of a generated position (0-based line and column) in a file tsx compiled, or null. */
export function originalLine(fileUrl: string, generatedLine: number, column: number): number | null {
  index ??= buildIndex();
  const path = fileUrl.replace(/^file:\/\//, '').replace(/^\/\/\//, '/');
  const segments = index.get(path)?.lines[generatedLine];
  if (!segments || segments.length === 0) return null;
  if (column < segments[0][0]) return segments[0][1] + 1;
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid][0] <= column) lo = mid;
    else hi = mid - 1;
  }
  return segments[lo][1] + 1;
}
