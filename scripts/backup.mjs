// npm run backup -- <file> · npm run restore -- <file>: the data folder (DATA_DIR, default ./data).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { root, serverModule } from './server-module.mjs';

const [command, file] = process.argv.slice(2);
const dataDir = resolve(process.env.DATA_DIR ?? join(root, 'data'));

if (!['backup', 'restore'].includes(command) || !file) {
  console.error(
    'Cách dùng · Usage:\n  npm run backup -- <tệp · file>.tar.gz\n  npm run restore -- <tệp · file>.tar.gz   (vào thư mục dữ liệu trống · into an empty data folder)',
  );
  process.exit(2);
}

const mod = await serverModule('store/backup');

const target = resolve(file);
try {
  if (command === 'backup') {
    if (!existsSync(join(dataDir, mod.DB_FILE))) {
      console.error(`Không có dữ liệu trong ${dataDir} · There is no data in ${dataDir}`);
      process.exit(1);
    }
    const { bytes, files } = await mod.createBackup(dataDir, target);
    console.log(`Đã sao lưu · Backed up: ${target} (${files} tệp · files, ${(bytes / 1e6).toFixed(1)} MB)`);
  } else {
    const { files, createdAt } = await mod.restoreBackup(target, dataDir);
    console.log(`Đã khôi phục · Restored: ${dataDir} (${files} tệp · files, sao lưu lúc · taken at ${createdAt})`);
  }
} catch (err) {
  console.error(err instanceof mod.BackupError ? err.message : `Lỗi · Error: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
