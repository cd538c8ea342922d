// npm start: build what is missing or stale (when the build tools are installed), then run the built
// server with plain node, in production mode.
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, canBuild, root, staleParts } from './build.mjs';

const stale = staleParts();
const server = join(root, 'dist/server/server/main.js');
const client = join(root, 'dist/client/index.html');

if (stale.length > 0) {
  if (canBuild()) {
    const first = !existsSync(server) || !existsSync(client);
    console.log(
      first
        ? '\nLần chạy đầu: đang chuẩn bị Cùng Học (khoảng 1–2 phút, chỉ một lần).\nFirst start: building Cùng Học (about 1–2 minutes, only once).\n'
        : '\nMã nguồn đã thay đổi: đang xây dựng lại · The sources changed: rebuilding\n',
    );
    try {
      await build(stale);
    } catch (err) {
      console.error(`\nKhông xây dựng được · The build failed: ${err instanceof Error ? err.message : err}`);
      process.exit(1);
    }
  } else if (!existsSync(server) || !existsSync(client)) {
    console.error(
      'Cùng Học chưa được xây dựng và máy này không có công cụ xây dựng: chạy `npm install` rồi `npm start`.\n' +
        'Cùng Học is not built and the build tools are not installed: run `npm install`, then `npm start`.',
    );
    process.exit(1);
  } else {
    // A production install (npm ci --omit=dev) of a changed tree: run what was built, and say so.
    console.warn(
      'Lưu ý: bản đã xây dựng cũ hơn mã nguồn (không có công cụ để xây dựng lại) · ' +
        'Note: the build is older than the sources (no build tools to rebuild it)',
    );
  }
}

// A release carries better-sqlite3 for several Node.js lines (native/): put this Node's in place.
const native = join(root, 'native');
if (existsSync(native)) {
  const mine = join(native, `better_sqlite3-node-v${process.versions.modules}.node`);
  const target = join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  if (!existsSync(mine)) {
    const lines = readdirSync(native)
      .map((f) => /node-v(\d+)/.exec(f)?.[1])
      .filter(Boolean)
      .map((abi) => ({ 115: '20', 127: '22', 137: '24' })[abi] ?? `ABI ${abi}`);
    console.error(
      `Bản này chạy với Node.js ${lines.join(', ')}; máy này có Node.js ${process.version}. Hãy cài một trong các bản đó.\n` +
        `This release runs on Node.js ${lines.join(', ')}; this machine has Node.js ${process.version}. Install one of those.`,
    );
    process.exit(1);
  }
  // Compare bytes rather than try to load it: a library once opened must not be overwritten in place.
  if (!existsSync(target) || !readFileSync(target).equals(readFileSync(mine))) {
    const tmp = `${target}.${process.pid}.tmp`;
    copyFileSync(mine, tmp);
    renameSync(tmp, target);
  }
}

// Production mode unless the caller chose otherwise (set before Express is loaded).
process.env.NODE_ENV ??= 'production';
await import(pathToFileURL(server).href);
