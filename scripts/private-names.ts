import MagicString from 'magic-string';
import { parseAst } from 'rolldown/parseAst';
import type { Plugin } from 'vite';

type Node = { type: string; start: number; end: number; [key: string]: unknown };

/**
 * Safari 14 has no private methods (15) nor, before 14.1, private fields; lowering them the standard
 * way (WeakMaps and helpers) costs the learner page 1.6 KB gzipped. Svelte's runtime and our rune
 * classes never rely on real privacy (no `#x in obj`, no reflection over instances), so `#name`
 * becomes an ordinary property `ǂ<n>`, `n` counting every private name of every class in the build (so
 * two classes of one inheritance chain cannot collide), short because the minifier keeps property names.
 */
export function privateNamesAsProperties(): Plugin {
  let count = 0;
  return {
    name: 'cunghoc:private-names',
    enforce: 'post',
    transform(code, id) {
      if (!code.includes('#') || !/\.(m?js|ts|svelte)(\?.*)?$/.test(id)) return null;
      let program: Node;
      try {
        program = parseAst(code, { lang: id.endsWith('.ts') ? 'ts' : 'js' }) as unknown as Node;
      } catch {
        return null;
      }
      const out = new MagicString(code);
      const scopes: Map<string, string>[] = [];
      let changed = false;
      const visit = (node: unknown): void => {
        if (Array.isArray(node)) {
          for (const n of node) visit(n);
          return;
        }
        if (!node || typeof node !== 'object' || typeof (node as Node).type !== 'string') return;
        const n = node as Node;
        if (n.type === 'ClassBody') {
          const names = new Map<string, string>();
          for (const member of n.body as Node[]) {
            const key = member.key as Node | undefined;
            if (key?.type === 'PrivateIdentifier' && !names.has(key.name as string)) names.set(key.name as string, `ǂ${(count++).toString(36)}`);
          }
          scopes.push(names);
          visit(n.body);
          scopes.pop();
          return;
        }
        if (n.type === 'PrivateIdentifier') {
          const name = n.name as string;
          const renamed = scopes.findLast((s) => s.has(name))?.get(name);
          if (!renamed) throw new Error(`private name #${name} outside its class in ${id}`);
          out.overwrite(n.start, n.end, renamed);
          changed = true;
          return;
        }
        for (const [k, v] of Object.entries(n)) if (k !== 'type' && v && typeof v === 'object') visit(v);
      };
      visit(program);
      return changed ? { code: out.toString(), map: out.generateMap({ hires: true }) } : null;
    },
  };
}
