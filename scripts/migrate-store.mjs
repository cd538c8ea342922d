// npm run migrate-store -- --from <SQLite data folder> --to <postgres://… URL>: move a commune's
// history into PostgreSQL, check every table (row counts, content hashes); safe to run again.
import { resolve } from 'node:path';
import { serverModule } from './server-module.mjs';

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

const mod = await serverModule('store/migrate-store');

const source = resolve(from);
console.log(`Chuyển dữ liệu · Moving the data: ${source} → ${mod.redactUrl(to)}`);
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
