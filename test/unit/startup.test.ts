import { describe, expect, it } from 'vitest';
import { bannerStream, logFormat, startupBanner } from '../../server/lib/startup.ts';

describe('start-up message and logs', () => {
  const info = {
    port: 3000,
    urls: ['http://192.168.1.10:3000', 'http://localhost:3000'],
    setupCode: 'AB12CD34',
    dataDir: '/srv/cunghoc/data',
    node: 'v24.1.0',
  };

  it('the banner says where to go in Vietnamese, then English, framed apart from the log lines', () => {
    const banner = startupBanner(info);
    const lines = banner.split('\n').filter((l) => l);
    expect(lines[0]).toMatch(/^┌─+┐$/);
    expect(lines.at(-1)).toMatch(/^└─+┘$/);
    // Every line of the frame is as wide as the others (counted in characters, Vietnamese marks included).
    expect(new Set(lines.map((l) => [...l].length)).size).toBe(1);
    const text = banner.replace(/[│┌┐└┘─]/g, '');
    expect(text.indexOf('Bảng điều khiển của giảng viên')).toBeLessThan(text.indexOf('Instructor console'));
    expect(text).toContain('http://localhost:3000/teach/');
    expect(text).toContain('http://192.168.1.10:3000/');
    expect(text).not.toContain('http://localhost:3000/\n');
    expect(text).toMatch(/Mã cài đặt lần đầu.*AB12CD34/);
    expect(text).toMatch(/First-run setup code.*AB12CD34/);
    expect(text).toContain('/srv/cunghoc/data');
    expect(text).toContain('Node.js v24.1.0');
    expect(text).not.toContain('{');
  });

  it('without a network or a setup code it says so and leaves the code out', () => {
    const text = startupBanner({ ...info, urls: ['http://localhost:3000'], setupCode: null });
    expect(text).toContain('chưa có mạng Wi-Fi/LAN · no Wi-Fi/LAN network yet');
    expect(text).not.toContain('setup code');
  });

  it('logs are pretty in a terminal, JSON when piped or asked for; the banner never lands among JSON lines', () => {
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({}, false)).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
    expect(bannerStream('pretty', 'info')).toBe('stdout');
    expect(bannerStream('json', 'info')).toBe('stderr');
    expect(bannerStream('json', 'silent')).toBe('stdout');
  });
});
