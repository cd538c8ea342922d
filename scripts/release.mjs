// npm run release: an archive a commune can carry on a USB stick and start with no network at all.
//   node scripts/release.mjs [--out <folder>] [--node 22,24]
// Holds the built server and client, the starter lessons, the production node_modules of this machine
// (native modules compiled for this platform), start scripts and the ĐỌC TRƯỚC page. --node adds
// better-sqlite3 compiled for those other Node.js lines too (see scripts/node-build.mjs).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { build, root, staleParts } from './build.mjs';
import { checkImports } from './check-imports.mjs';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const outDir = resolve(arg('--out') ?? join(root, 'release'));
const extraNodes = (arg('--node') ?? '').split(',').filter(Boolean);

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const platform = `${process.platform}-${process.arch}`;
const name = `cung-hoc-${pkg.version}-${platform}`;
const stage = join(outDir, name);
const started = Date.now();
const say = (line) => console.log(`  ${line}`);

const problems = checkImports();
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
const stale = staleParts();
if (stale.length > 0) await build(stale);

rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

// What a production install needs, and nothing of the sources or the tests.
for (const path of [
  'dist/server',
  'dist/client',
  'dist/build-info.json',
  'lessons',
  'package.json',
  'package-lock.json',
  'scripts/start.mjs',
  'scripts/build.mjs',
  'scripts/backup.mjs',
  'scripts/migrate-store.mjs',
  'scripts/server-module.mjs',
  'LICENSE',
]) {
  if (existsSync(join(root, path))) cpSync(join(root, path), join(stage, path), { recursive: true });
}

// The production packages, copied from this machine's node_modules (already built for this platform):
// no registry, no compiler. `npm ls --omit=dev` lists each one's folder, nested ones included.
const windows = process.platform === 'win32';
const listed = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
  cwd: root,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'ignore'],
  shell: windows,
})
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && resolve(l) !== root);
const modules = join(root, 'node_modules');
let count = 0;
for (const dir of listed) {
  const rel = relative(modules, dir);
  if (rel.startsWith('..')) continue;
  // Each package without its own node_modules: the nested production ones are listed on their own.
  cpSync(dir, join(stage, 'node_modules', rel), {
    recursive: true,
    dereference: true,
    filter: (src) =>
      !relative(dir, src).split(/[\\/]/).includes('node_modules') &&
      !/[\\/]build[\\/](Release[\\/])?(obj|obj\.target|deps|test_extension)/.test(src),
  });
  count++;
}
say(`${count} gói · packages (node_modules)`);

// better-sqlite3 for each Node.js line the release carries; start.mjs puts the right one in place.
mkdirSync(join(stage, 'native'), { recursive: true });
const abis = [process.versions.modules];
cpSync(
  join(stage, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'),
  join(stage, 'native', `better_sqlite3-node-v${abis[0]}.node`),
);
if (extraNodes.length > 0) {
  const { betterSqliteFor } = await import('./node-build.mjs');
  const mine = process.versions.node.split('.')[0];
  for (const line of extraNodes.filter((l) => l !== mine)) {
    const { abi, binary, version } = await betterSqliteFor(line);
    if (abis.includes(abi)) continue;
    cpSync(binary, join(stage, 'native', `better_sqlite3-node-v${abi}.node`));
    abis.push(abi);
    say(`better-sqlite3 cho · for Node.js ${version} (ABI ${abi})`);
  }
}
writeFileSync(
  join(stage, 'dist/release.json'),
  JSON.stringify({ version: pkg.version, platform, builtWith: process.version, abis, builtAt: new Date().toISOString() }, null, 2) + '\n',
);
const nodeLines = abis.map((a) => ({ 115: '20', 127: '22', 137: '24' })[a] ?? `ABI ${a}`).join(', ');
writeFileSync(
  join(stage, 'start.sh'),
  `#!/bin/sh
# Cùng Học: khởi động máy chủ · start the server (Node.js ${nodeLines}).
# No dirname: PATH may hold nothing but Node.js.
case "$0" in */*) cd "\${0%/*}" || exit 1 ;; esac
if ! command -v node >/dev/null 2>&1; then
  echo "Chưa cài Node.js (bản ${nodeLines}) · Node.js (${nodeLines}) is not installed" >&2
  exit 1
fi
exec node scripts/start.mjs "$@"
`,
);
chmodSync(join(stage, 'start.sh'), 0o755);
writeFileSync(
  join(stage, 'start.cmd'),
  `@echo off\r\nrem Cung Hoc: start the server\r\ncd /d "%~dp0"\r\nnode scripts\\start.mjs %*\r\npause\r\n`,
);
writeFileSync(join(stage, 'ĐỌC TRƯỚC.txt'), readme(nodeLines));

// Windows 10 and later have bsdtar as tar.exe, which writes a zip (what Explorer opens) with -a.
const archive = join(outDir, windows ? `${name}.zip` : `${name}.tar.gz`);
rmSync(archive, { force: true });
execFileSync('tar', windows ? ['-a', '-cf', archive, '-C', outDir, name] : ['-czf', archive, '-C', outDir, name], { stdio: 'inherit' });
say(
  `${relative(process.cwd(), archive)} (${(statSync(archive).size / 1e6).toFixed(1)} MB, ${Math.round((Date.now() - started) / 1000)} s)`,
);

function readme(lines) {
  const startVi = windows ? 'nhấp đúp vào start.cmd' : 'mở cửa sổ dòng lệnh (Terminal) trong thư mục này và chạy: ./start.sh';
  const startEn = windows ? 'double-click start.cmd' : 'open a terminal in this folder and run: ./start.sh';
  return `CÙNG HỌC ${pkg.version} (${platform})
=========================================

TIẾNG VIỆT

Cần có: một máy tính ${platform === 'linux-x64' ? 'Linux 64-bit' : platform} đã cài Node.js (bản ${lines}).
Không cần Internet: mọi thứ đã có sẵn trong thư mục này.

1. Chép cả thư mục này vào máy (ví dụ vào thư mục nhà).
2. Khởi động: ${startVi}
3. Màn hình hiện địa chỉ:
   - Bảng điều khiển của giảng viên: http://localhost:3000/teach/ (mở trên chính máy này;
     lần đầu sẽ tạo tài khoản giảng viên).
   - Địa chỉ cho máy tính bảng qua Wi-Fi, ví dụ http://192.168.1.10:3000/
4. Dừng máy chủ: bấm Ctrl+C.

Dữ liệu (bài học, buổi học, ảnh) nằm trong thư mục data/ bên cạnh.
Sao lưu (kể cả khi đang có lớp):   node scripts/backup.mjs backup sao-luu.tar.gz
Khôi phục vào thư mục data/ trống: node scripts/backup.mjs restore sao-luu.tar.gz
Hoặc tải bản sao lưu trong Bảng điều khiển: Cài đặt → Tải bản sao lưu về máy.

Đổi cổng: PORT=8080 ./start.sh      Thư mục dữ liệu khác: DATA_DIR=/duong/dan ./start.sh

ENGLISH

Needs: a ${platform === 'linux-x64' ? '64-bit Linux' : platform} computer with Node.js (${lines}) installed.
No internet needed: everything is in this folder.

1. Copy this whole folder onto the computer.
2. Start it: ${startEn}
3. It prints the addresses:
   - the instructor console, http://localhost:3000/teach/ (open it on this computer; the first
     visit creates the instructor account),
   - the address the tablets open over the Wi-Fi, e.g. http://192.168.1.10:3000/
4. Stop the server with Ctrl+C.

The data (lessons, sessions, pictures) is in the data/ folder beside it.
Back up (even during a class):        node scripts/backup.mjs backup backup.tar.gz
Restore into an empty data/ folder:   node scripts/backup.mjs restore backup.tar.gz
Or download a backup from the console: Settings → Download a backup.

Another port: PORT=8080 ./start.sh    Another data folder: DATA_DIR=/some/path ./start.sh
`;
}
