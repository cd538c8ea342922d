// Another Node.js line, from the npm registry only: its binary (node-<platform> packages ship it with its
// headers), better-sqlite3 compiled against those headers, and a copy of this tree that uses them.
//   node scripts/node-build.mjs tree <major> <folder>   → a copy of this tree in <folder>/tree for that Node.js
//   node scripts/node-build.mjs test <major>            → the unit and integration tests on that Node.js
// The Node 20 tree (node_modules here) is never touched: better-sqlite3 is compiled in a copy.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const cacheDir = process.env.CUNGHOC_CACHE ?? join(homedir(), '.cache', 'cunghoc');
const say = (line) => console.log(`  ${line}`);

/** npm's own node-gyp: it comes with npm, so nothing else is installed. */
function nodeGyp() {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
  const globalRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim();
  return join(globalRoot, 'npm/node_modules/node-gyp/bin/node-gyp.js');
}

/** npm run exports its config (npm_config_nodedir=/usr among it), which node-gyp would prefer to --nodedir. */
function gypEnv(bin) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, PATH: `${dirname(bin)}:${process.env.PATH}` };
}

/** The newest release of a Node.js line, unpacked from the registry's node-<platform>-<arch> package. */
export function fetchNode(line, into = join(cacheDir, 'node')) {
  const pkg = `node-${process.platform}-${process.arch}`;
  const version = execFileSync('npm', ['view', `${pkg}@${line}`, 'version', '--json'], { encoding: 'utf8' });
  // npm lists versions in publication order, not by number: take the highest.
  const byNumber = (v) => v.split('.').map(Number);
  const latest = []
    .concat(JSON.parse(version))
    .sort((a, b) => {
      const [x, y] = [byNumber(a), byNumber(b)];
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    })
    .at(-1);
  const dir = join(into, `${pkg}-${latest}`);
  if (!existsSync(join(dir, 'bin/node'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const tgz = execFileSync('npm', ['pack', `${pkg}@${latest}`, '--silent', '--pack-destination', dir], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .at(-1);
    execFileSync('tar', ['-xzf', join(dir, tgz), '-C', dir, '--strip-components=1']);
    rmSync(join(dir, tgz));
  }
  const bin = join(dir, 'bin/node');
  const abi = execFileSync(bin, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).trim();
  return { version: latest, dir, bin, abi };
}

/**
 * better-sqlite3 compiled for a Node.js line (its own headers, --nodedir: nothing downloaded), kept in
 * a cache keyed by both versions. Needs python3, make and a C++ compiler; takes 1–3 minutes.
 */
export async function betterSqliteFor(line) {
  const node = fetchNode(line);
  const source = join(root, 'node_modules/better-sqlite3');
  const bsVersion = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')).version;
  const cached = join(cacheDir, `better-sqlite3-${bsVersion}-node-${node.version}-${process.platform}-${process.arch}`);
  const binary = join(cached, 'build/Release/better_sqlite3.node');
  if (!existsSync(binary)) {
    const started = Date.now();
    say(`better-sqlite3 ${bsVersion} → Node.js ${node.version}: đang biên dịch · compiling …`);
    const work = join(tmpdir(), `cunghoc-bs3-${process.pid}`);
    rmSync(work, { recursive: true, force: true });
    cpSync(source, work, {
      recursive: true,
      filter: (src) => !src.startsWith(join(source, 'build')) && !src.startsWith(join(source, 'node_modules')),
    });
    execFileSync(node.bin, [nodeGyp(), 'rebuild', '--release', '--loglevel=warn', `--nodedir=${node.dir}`, '-j', '2'], {
      cwd: work,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: gypEnv(node.bin),
    });
    rmSync(cached, { recursive: true, force: true });
    mkdirSync(join(cached, 'build/Release'), { recursive: true });
    // Loaded by that Node.js, or the build used the wrong headers.
    execFileSync(node.bin, ['-e', `require(${JSON.stringify(join(work, 'build/Release/better_sqlite3.node'))})`], { stdio: 'inherit' });
    cpSync(join(work, 'build/Release/better_sqlite3.node'), binary);
    rmSync(work, { recursive: true, force: true });
    say(`✓ ${Math.round((Date.now() - started) / 1000)} s`);
  } else say(`better-sqlite3 ${bsVersion} → Node.js ${node.version}: ${cached}`);
  return { ...node, binary };
}

/**
 * A copy of this tree for another Node.js: the sources copied (so their imports resolve in the copy),
 * every package linked to the one here except better-sqlite3, a real copy with its own binary.
 */
export async function treeFor(line, folder) {
  const { bin, version, binary } = await betterSqliteFor(line);
  const tree = join(folder, 'tree');
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(join(tree, 'node_modules'), { recursive: true });
  const skip = new Set(['node_modules', '.git', 'data', 'test-results', 'release']);
  for (const entry of readdirSync(root)) if (!skip.has(entry)) cpSync(join(root, entry), join(tree, entry), { recursive: true });
  const modules = join(root, 'node_modules');
  for (const entry of readdirSync(modules)) {
    if (entry === 'better-sqlite3') continue;
    symlinkSync(join(modules, entry), join(tree, 'node_modules', entry));
  }
  const bs3 = join(tree, 'node_modules/better-sqlite3');
  cpSync(join(modules, 'better-sqlite3'), bs3, {
    recursive: true,
    dereference: true,
    filter: (src) => !src.includes(`${join(modules, 'better-sqlite3', 'build')}`),
  });
  mkdirSync(join(bs3, 'build/Release'), { recursive: true });
  cpSync(binary, join(bs3, 'build/Release/better_sqlite3.node'));
  return { bin, version, tree };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [command, line, folder] = process.argv.slice(2);
  if (!['tree', 'test'].includes(command) || !line || (command === 'tree' && !folder)) {
    console.error('usage: node scripts/node-build.mjs tree <major> <folder> | test <major>');
    process.exit(2);
  }
  const started = Date.now();
  const work = folder ? resolve(folder) : join(tmpdir(), `cunghoc-node${line}-${process.pid}`);
  const { bin, version, tree } = await treeFor(line, work);
  say(`Node.js ${version} (${bin}): ${tree}, ${Math.round((Date.now() - started) / 1000)} s`);
  if (command === 'test') {
    const { spawnSync } = await import('node:child_process');
    const run = spawnSync(bin, ['node_modules/vitest/vitest.mjs', 'run', '--project', 'unit', '--project', 'integration'], {
      cwd: tree,
      stdio: 'inherit',
      env: { ...process.env, PATH: `${dirname(bin)}:${process.env.PATH}` },
    });
    rmSync(work, { recursive: true, force: true });
    say(`Node.js ${version}: ${run.status === 0 ? 'ok' : `failed (${run.status})`}, ${Math.round((Date.now() - started) / 1000)} s`);
    process.exit(run.status ?? 1);
  }
}
