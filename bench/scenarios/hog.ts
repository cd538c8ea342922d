/**
 * The CPU-hog case (issue 17): a hall's laptop runs the console in a browser beside the server, and
 * other programs take part of the server's core. A child process spins on the server's core for a
 * set duty cycle (none, a third, two thirds of every 100 ms), a real console page in Chromium watches
 * the class (ours; a blank page beside bare Socket.IO, so both runs have the browser), and the
 * fan-out at N is measured for Cùng Học and bare Socket.IO under the same hog.
 *
 * Chromium is pinned with the load generator, not on the server's core: the hog is the controlled
 * disturbance, the browser's part is what it asks of the server (staff views), not its rendering.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../lib/chromium.ts';
import { now, sleep } from '../lib/clock.ts';
import type { Bench } from '../lib/harness.ts';
import type { HogRun } from '../lib/result.ts';
import { fanout } from './fanout.ts';

/** Spin `duty` of every `periodMs` on `cores` (taskset), sleep the rest; null for no hog. */
function startHog(duty: number, cores: string | null, periodMs = 100): ChildProcess | null {
  if (duty <= 0) return null;
  const code = `const busy=${duty * periodMs},period=${periodMs};const spin=()=>{const t=performance.now();while(performance.now()-t<busy);setTimeout(spin,Math.max(0,period-(performance.now()-t)))};spin();process.on('disconnect',()=>process.exit(0));`;
  const args = [process.execPath, '-e', code];
  const child = spawn(cores ? 'taskset' : args[0], cores ? ['-c', cores, ...args] : args.slice(1), {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.removeListener('exit', kill));
  return child;
}

export async function hog(ctx: Bench, kind: 'ours' | 'sio', duty: number, browser: Browser): Promise<HogRun> {
  const s = ctx.settings.hog;
  let consoleFrames = 0;
  let consoleReady = false;
  const run = await fanout(ctx, kind, s.n, {
    scenario: `hog-${kind}-${Math.round(duty * 100)}`,
    pushes: s.pushes,
    around: async (target, ours) => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'vi-VN' });
      const page = await context.newPage();
      if (ours) {
        const [name, value] = ours.cookie.split('=');
        await context.addCookies([{ name, value, url: target.url }]);
        page.on('websocket', (ws) =>
          ws.on('framereceived', (f) => void (String(f.payload).includes('staff:view') && (consoleFrames += 1))),
        );
        await page.goto(`${target.url}/teach/#/session/${ours.sessionId}`, { waitUntil: 'load' });
        // The console is up once it has its first staff view.
        const until = now() + 30_000;
        while (consoleFrames === 0 && now() < until) await sleep(50);
        consoleReady = consoleFrames > 0;
        if (!consoleReady) ctx.log(`hog ${kind}: the console page got no staff view within 30 s`);
      } else {
        await page.goto('about:blank');
        consoleReady = true;
      }
      consoleFrames = 0;
      const hogProc = startHog(duty, ctx.serverCores);
      await sleep(1000); // the hog's duty cycle settles
      return async () => {
        hogProc?.kill('SIGKILL');
        await context.close();
      };
    },
  });
  return { duty, target: kind, consoleReady, consoleFrames, run, loadAvg: ctx.loadAvg() };
}

/** Every duty for both systems, back to back, one Chromium for all. */
export async function hogs(ctx: Bench): Promise<HogRun[]> {
  // Pinned with the load generator.
  const browser = await launchChromium({ cores: ctx.generatorCores });
  const out: HogRun[] = [];
  try {
    for (const duty of ctx.settings.hog.duties) {
      for (const kind of ['ours', 'sio'] as const) {
        const r = await hog(ctx, kind, duty, browser);
        ctx.log(
          `hog ${Math.round(duty * 100)}% ${kind}: p50 ${r.run.recipients.p50} p99 ${r.run.recipients.p99} ms, last p50 ${r.run.lastRecipient.p50} p99 ${r.run.lastRecipient.p99} ms, ` +
            `inside p50 ${r.run.serverSide.commandToWritten.p50} ms, server CPU ${r.run.server.cpuPct}%, console views ${r.consoleFrames}, lost ${r.run.lost}; load ${r.loadAvg.join(' ')}`,
        );
        out.push(r);
      }
    }
  } finally {
    await browser.close();
  }
  return out;
}
