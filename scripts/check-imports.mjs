// Every package the code imports must be declared in package.json; what the server runs, in "dependencies".
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');

/** Folders whose code runs in the production server: their packages must be production dependencies. */
const runtime = ['server', 'shared'];
/** Everything else is built, tested or benchmarked with devDependencies installed. */
const devOnly = ['client', 'scripts', 'test', 'bench'];

const patterns = [
  // import x from 'a', import type { T } from 'a', export { x } from 'a' (may span lines)
  /^\s*(?:import|export)\s+(type\s+)?[^;'"`]*?\bfrom\s+['"]([^'"]+)['"]/gm,
  // import 'a' (for its side effects)
  /^\s*import\s+()['"]([^'"]+)['"]/gm,
  // import('a'), require('a')
  /\b(?:import|require)\(\s*()['"]([^'"]+)['"]\s*\)/g,
];
const packageName = /^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(?:\/[\w.@/-]*)?$/i;

/** The bare package names a file imports, each with whether the import is for types only. */
export function importsOf(source) {
  const found = [];
  // Comments mention imports without making them.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const pattern of patterns) {
    for (const m of code.matchAll(pattern)) {
      const spec = m[2];
      if (!packageName.test(spec)) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (builtinModules.includes(name)) continue;
      found.push({ name, typeOnly: Boolean(m[1]) });
    }
  }
  return found;
}

function* files(dir) {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (/\.(m?[jt]s|svelte)$/.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

/** Problems, one line each; empty when every import is declared where it must be. */
export function checkImports(dir = root) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const deps = new Set(Object.keys(pkg.dependencies ?? {}));
  const dev = new Set(Object.keys(pkg.devDependencies ?? {}));
  const problems = [];
  const topLevel = readdirSync(dir)
    .filter((f) => /\.(m?[jt]s)$/.test(f))
    .map((f) => join(dir, f));
  const groups = [
    ...runtime.map((d) => ({ paths: [...files(join(dir, d))], needsRuntime: true })),
    ...devOnly.map((d) => ({ paths: [...files(join(dir, d))], needsRuntime: false })),
    { paths: topLevel, needsRuntime: false },
  ];
  for (const { paths, needsRuntime } of groups) {
    for (const path of paths) {
      for (const { name, typeOnly } of importsOf(readFileSync(path, 'utf8'))) {
        const where = relative(dir, path);
        if (needsRuntime && !typeOnly && !deps.has(name)) {
          problems.push(
            dev.has(name)
              ? `${where}: imports "${name}", which is only a devDependency; the production server needs it in "dependencies"`
              : `${where}: imports "${name}", which package.json does not declare (add it to "dependencies")`,
          );
        } else if (!deps.has(name) && !dev.has(name) && !dev.has(`@types/${name}`)) {
          problems.push(`${where}: imports "${name}", which package.json does not declare`);
        }
      }
    }
  }
  return problems;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const problems = checkImports();
  for (const p of problems) console.error(p);
  if (problems.length > 0) process.exit(1);
  console.log('Every imported package is declared.');
}
