// npm run migrate-store -- --from <SQLite data folder> --to <postgres://… URL>: move a commune's
// history into PostgreSQL, check every table (row counts, content hashes); safe to run again.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const from = option('--from');
const to = option('--to') ?? process.env.DATABASE_URL;

if (!from || !to || !/^postgres(ql)?:\/\//.test(to)) {
  console.error(
    'Cách dùng · Usage:\n  npm run migrate-store -- --from <thư mục dữ liệu · data folder> --to postgres://<người dùng · user>@<máy · host>/<cơ sở dữ liệu · database>\n' +
      '  (dừng máy chủ Cùng Học trước · stop the Cùng Học server first; chạy lại an toàn · safe to run again)',
  );
  process.exit(2);
}

// The built server when there is one (a release, npm ci --omit=dev), else the sources through tsx.
const built = join(root, 'dist/server/server/store/migrate-store.js');
let mod;
if (existsSync(built)) mod = await import(pathToFileURL(built).href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(pathToFileURL(join(root, 'server/store/migrate-store.ts')).href);
}

const safeUrl = (url) => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
};

const source = resolve(from);
console.log(`Chuyển dữ liệu · Moving the data: ${source} → ${safeUrl(to)}`);
try {
  const { ok } = await mod.migrateStore(source, to, (r) => {
    const mark = r.ok
      ? 'khớp · match'
      : `KHÔNG KHỚP · MISMATCH (${r.found}/${r.rows}, ${r.sourceHash.slice(0, 12)} ≠ ${r.targetHash.slice(0, 12)})`;
    console.log(
      `  ${r.table.padEnd(18)} ${String(r.rows).padStart(8)} dòng · rows   ${String(r.copied).padStart(8)} đã chép · copied   ${mark}`,
    );
  });
  if (ok) {
    console.log('Xong: mọi bảng khớp về số dòng và mã băm nội dung · Done: every table matches in row count and content hash');
  } else {
    console.error(
      'Có bảng không khớp: đừng chuyển máy chủ sang PostgreSQL, hãy chạy lại hoặc báo kỹ thuật · A table does not match: do not switch the server to PostgreSQL; run again or call the technician',
    );
    process.exit(1);
  }
} catch (err) {
  console.error(err instanceof mod.MigrateError ? err.message : `Lỗi · Error: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
