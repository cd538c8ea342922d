import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

/** How log lines are written: readable in a terminal, one JSON object a line for a machine. */
export type LogFormat = 'pretty' | 'json';

/** LOG_FORMAT wins; otherwise pretty when stdout is a terminal, JSON when it is piped or redirected. */
export function logFormat(env: NodeJS.ProcessEnv, stdoutIsTty: boolean): LogFormat {
  if (env.LOG_FORMAT === 'json' || env.LOG_FORMAT === 'pretty') return env.LOG_FORMAT;
  return stdoutIsTty ? 'pretty' : 'json';
}

export function createLogger(level: string, format: LogFormat): Logger {
  if (format === 'json') return pino({ level });
  // Synchronous pretty stream in this thread: no worker, and a crash message is never lost.
  return pino(
    { level },
    PinoPretty({ sync: true, colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }),
  );
}

/**
 * Where the start-up banner goes: stdout, except when stdout carries JSON log lines, which it must
 * not break (a log collector reads one JSON object a line), then stderr.
 */
export function bannerStream(format: LogFormat, level: string): 'stdout' | 'stderr' {
  return format === 'json' && level !== 'silent' ? 'stderr' : 'stdout';
}

export interface BannerInfo {
  port: number;
  /** Every address the server answers on (LAN ones first, localhost last). */
  urls: string[];
  setupCode: string | null;
  dataDir: string;
  /** process.version, so a volunteer sees which Node.js runs it. */
  node?: string;
}

/** The start-up message, Vietnamese first then English, framed so it stands apart from log lines. */
export function startupBanner({ port, urls, setupCode, dataDir, node }: BannerInfo): string {
  const lan = urls.filter((u) => !u.includes('localhost'));
  const local = urls.find((u) => u.includes('localhost')) ?? `http://localhost:${port}`;
  const lines = [
    'Cùng Học đang chạy. · Cùng Học is running.',
    '',
    'Bảng điều khiển của giảng viên (mở trên máy này):',
    'Instructor console (open it on this machine):',
    `    ${local}/teach/`,
    '',
    'Máy tính bảng qua Wi-Fi mở địa chỉ: · Tablets on the Wi-Fi open:',
    ...(lan.length > 0 ? lan.map((u) => `    ${u}/`) : ['    (chưa có mạng Wi-Fi/LAN · no Wi-Fi/LAN network yet)']),
  ];
  if (setupCode) {
    lines.push(
      '',
      `Mã cài đặt lần đầu (khi cài từ máy khác): ${setupCode}`,
      `First-run setup code (for setup from another machine): ${setupCode}`,
    );
  }
  lines.push('', `Dữ liệu · Data: ${dataDir}`, ...(node ? [`Node.js ${node}`] : []), 'Dừng máy chủ: Ctrl+C · Stop the server: Ctrl+C');
  const width = Math.max(...lines.map((l) => [...l].length));
  const rule = '─'.repeat(width + 2);
  return ['', `┌${rule}┐`, ...lines.map((l) => `│ ${l}${' '.repeat(width - [...l].length)} │`), `└${rule}┘`, ''].join('\n');
}

/** The project folder (where package.json is), whether run from server/ by tsx or from dist/server/server/. */
export function appRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
