import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { errorsOf, screenshotDir, shot, tablet, tid, useBrowserClass } from '../support/browser.ts';
import { consoleWithClass } from '../support/console-class.ts';
import { call, learnerSocket, token, unwrap } from '../support/sockets.ts';

const env = useBrowserClass();
const newPage = env.newPage;
const phone = { width: 360, height: 740 };
const until = <T>(fn: () => Promise<T> | T, timeout = 15_000) => expect.poll(fn, { timeout, interval: 100 });
const byName = (page: Page, testid: string, name: string) => page.locator(`[data-testid="${testid}"][data-learner-name="${name}"]`);

describe('who is stuck: learners ask, helpers go, the console sees the room', () => {
  it('help with a reason, helper phone claims and solves, seat map states, stuck flags, offline tile', async () => {
    // The instructor creates the account and starts a class.
    const { teach, code, helperCode } = await consoleWithClass(env);
    expect(helperCode).toMatch(/^[A-Z0-9]{6}$/);

    // A helper's phone: a wrong code is refused in words, the right one opens the (empty) queue.
    const lan = await newPage(phone);
    await lan.goto(`${env.server.url}/help/`);
    const wrong = helperCode === 'ZZZZ99' ? 'zzzz98' : 'zzzz99';
    await tid(lan, 'helper-code').fill(wrong);
    expect(await tid(lan, 'helper-code').inputValue()).toBe(wrong.toUpperCase()); // capitals whatever the keyboard
    await tid(lan, 'helper-name').fill('Chị Lan');
    await tid(lan, 'helper-join').click();
    await until(() => tid(lan, 'helper-error').innerText()).toMatch(/Không có lớp nào đang mở với mã này/);
    await tid(lan, 'helper-code').fill(helperCode);
    await tid(lan, 'helper-join').click();
    await until(() => tid(lan, 'help-queue').innerText()).toMatch(/Chưa ai cần giúp/);
    expect(await tid(lan, 'helper-error').count()).toBe(0);

    // Three tablets with their seat labels, and two more learners on plain sockets (for a full room).
    let resumes = 0;
    let dropClass = false;
    const tablets: Page[] = [];
    for (const [i, name] of ['Nguyễn Thị Lành', 'Hoà', 'Bác Tư'].entries()) {
      // Hoà's tablet goes through a relay that can lose one class message, to see the gap noticed.
      const page =
        name === 'Hoà'
          ? await newPage(tablet, {
              sent: (f) => void (f.includes('"learner:resume"') && resumes++),
              drop: (f) => {
                if (!dropClass || !f.startsWith('42/learner,["class"')) return false;
                dropClass = false;
                return true;
              },
            })
          : await newPage(tablet);
      await page.goto(`${env.server.url}/?code=${code}&seat=${encodeURIComponent(`Bàn ${i + 1}`)}`);
      await tid(page, 'join-name').fill(name);
      await tid(page, 'join-submit').click();
      await tid(page, 'waiting').waitFor();
      tablets.push(page);
    }
    const [lanh, hoa, tu] = tablets;
    for (const [i, name] of ['Thảo', 'Phúc'].entries()) {
      const socket = learnerSocket(env.server.url);
      unwrap(await call(socket, 'learner:join', { code, name, seat: `Bàn ${i + 4}`, token: token(i + 1) }));
    }
    await until(() => tid(teach, 'seat-tile').count()).toBe(5);

    // Steps 1 and 2, then 3. Hoà's tablet loses the class message of step 2: the next one shows the
    // gap in the stream numbers, and the tablet asks for a fresh snapshot.
    await tid(teach, 'btn-next-step').click();
    for (const page of tablets) await until(() => tid(page, 'step-title').count()).toBe(1);
    dropClass = true;
    await tid(teach, 'btn-next-step').click();
    await until(() => lanh.getByText('Bước 2/8', { exact: true }).count()).toBe(1);
    expect(dropClass).toBe(false);
    expect(await hoa.getByText('Bước 1/8', { exact: true }).count()).toBe(1);
    const resumesBefore = resumes;
    await tid(teach, 'btn-next-step').click();
    for (const page of tablets) await until(() => page.getByText('Bước 3/8', { exact: true }).count()).toBe(1);
    await until(() => resumes).toBeGreaterThan(resumesBefore);
    await until(() => byName(teach, 'seat-tile', 'Hoà').getAttribute('data-state')).toBe('working');

    // Hoà: "Cần giúp — Máy bị lỗi", one tap. Lành asks with no reason, and is second in the queue.
    await hoa.locator('[data-testid="help-reason"][data-reason="device_problem"]').click();
    await until(() => tid(hoa, 'help-status').innerText()).toMatch(/Đang chờ người đến giúp — bác đứng thứ 1/);
    await until(() => hoa.locator('div.sr-only[aria-live]').innerText()).toMatch(/Đang chờ người đến giúp/);
    await tid(lanh, 'btn-help').click();
    await until(() => tid(lanh, 'help-status').innerText()).toMatch(/bác đứng thứ 2/);
    await shot(hoa, 'help-learner-waiting');

    // The console: the tile says so in words, a banner stays until seen, the queue has both, oldest first.
    const hoaTile = byName(teach, 'seat-tile', 'Hoà');
    await until(() => hoaTile.getAttribute('data-state')).toBe('help');
    await until(() => hoaTile.innerText()).toMatch(/Cần giúp · \d+ giây/);
    await until(() => tid(teach, 'help-alert').innerText()).toMatch(/Có người cần giúp: Hoà \(Bàn 2\), Nguyễn Thị Lành \(Bàn 1\)/);
    const consoleQueue = tid(teach, 'help-queue').getByTestId('queue-item');
    await until(() => consoleQueue.evaluateAll((els) => els.map((e) => e.getAttribute('data-learner-name')))).toEqual([
      'Hoà',
      'Nguyễn Thị Lành',
    ]);
    await tid(teach, 'help-alert-seen').click();
    expect(await tid(teach, 'help-alert').count()).toBe(0);

    // The helper's phone shows both, as cards: seat, name, step, reason in words, waiting time.
    const hoaCard = byName(lan, 'queue-item', 'Hoà');
    await until(() => hoaCard.innerText()).toMatch(/Bàn 2[\s\S]*Hoà[\s\S]*Bước 3 · Máy bị lỗi[\s\S]*chờ \d+ giây/);
    await until(() => byName(lan, 'queue-item', 'Nguyễn Thị Lành').innerText()).toMatch(/Không nói lý do/);
    await shot(lan, 'help-helper-queue');

    // A second helper whose screen lags behind (its views held back) taps "Tôi đến" too late.
    let freeze = false;
    const minh = await newPage(phone, { drop: (f) => freeze && f.includes('["staff:view"') });
    await minh.goto(`${env.server.url}/help/`);
    await tid(minh, 'helper-code').fill(helperCode);
    await tid(minh, 'helper-name').fill('Anh Minh');
    await tid(minh, 'helper-join').click();
    await byName(minh, 'queue-item', 'Hoà').waitFor();
    freeze = true;

    // Chị Lan goes: Hoà's tablet names her; the console shows who is on the way.
    await hoaCard.getByTestId('claim').click();
    await until(() => tid(hoa, 'help-status').innerText()).toMatch(/Có người đang đến: Chị Lan/);
    await until(() => hoaCard.getByTestId('claimed-by').innerText()).toMatch(/Bạn đang đến giúp/);
    await until(() => byName(teach, 'queue-item', 'Hoà').getByTestId('claimed-by').innerText()).toMatch(/Chị Lan đang đến/);
    await until(() => hoaTile.innerText()).toMatch(/Chị Lan đang đến/);
    await shot(hoa, 'help-learner-claimed');
    await shot(lan, 'help-helper-claimed');

    await byName(minh, 'queue-item', 'Hoà').getByTestId('claim').click();
    await until(() => byName(minh, 'queue-item', 'Hoà').innerText()).toMatch(/Người khác đã nhận/);
    freeze = false;
    await until(() => byName(minh, 'queue-item', 'Hoà').getByTestId('claimed-by').innerText()).toMatch(/Chị Lan đang đến/);
    await tid(minh, 'helper-leave').click();
    await tid(minh, 'helper-join').waitFor();

    // A reload keeps the helper and their claim.
    await lan.reload();
    await until(() => byName(lan, 'queue-item', 'Hoà').getByTestId('claimed-by').innerText()).toMatch(/Bạn đang đến giúp/);

    // Solved: Hoà's tablet says who helped; the tile goes back to work.
    await byName(lan, 'queue-item', 'Hoà').getByTestId('resolve').click();
    await until(() => tid(hoa, 'help-status').innerText()).toMatch(/Chị Lan đã giúp xong/);
    await until(() => hoaTile.getAttribute('data-state')).toBe('working');
    await until(() => byName(lan, 'queue-item', 'Hoà').count()).toBe(0);
    await shot(hoa, 'help-learner-solved');

    // Lành's request: claimed, given back (waiting again), then withdrawn from the tablet.
    const lanhCard = byName(lan, 'queue-item', 'Nguyễn Thị Lành');
    await lanhCard.getByTestId('claim').click();
    await until(() => tid(lanh, 'help-status').innerText()).toMatch(/Chị Lan/);
    await lanhCard.getByTestId('release').click();
    await lanhCard.getByTestId('claim').waitFor();
    await until(() => tid(lanh, 'help-status').innerText()).toMatch(/bác đứng thứ 1/);
    await tid(lanh, 'help-cancel').click();
    await until(() => lanhCard.count()).toBe(0);
    await until(() => tid(lan, 'help-queue').innerText()).toMatch(/Chưa ai cần giúp/);
    expect(await tid(lanh, 'help-status').count()).toBe(0);

    // Lành is done with the step; Bác Tư's tablet loses the Wi-Fi.
    await tid(lanh, 'btn-done').click();
    await until(() => byName(teach, 'seat-tile', 'Nguyễn Thị Lành').getAttribute('data-state')).toBe('done');
    await until(() => tid(teach, 'pace').innerText()).toMatch(/20% đã xong/);
    expect(await tid(teach, 'pace').innerText()).not.toMatch(/Chuyển sang bước tiếp theo/);
    await tu.context().setOffline(true);

    // Stuck rules from the console: a tiny share of the step's expected time flags everyone not done;
    // moving on is suggested once 10% are done.
    await tid(teach, 'stuck-rules').click();
    await tid(teach, 'rules-expectedFactor').fill('0.005');
    await tid(teach, 'rules-paceThreshold').fill('10');
    await tid(teach, 'rules-save').click();
    await tid(teach, 'rules-saved').waitFor();
    for (const name of ['Thảo', 'Phúc']) {
      await until(() => byName(teach, 'seat-tile', name).getAttribute('data-state')).toBe('stuck');
    }
    await until(() => byName(teach, 'seat-tile', 'Phúc').innerText()).toMatch(/Có thể đang gặp khó/);
    await until(() => tid(teach, 'pace').innerText()).toMatch(/Chuyển sang bước tiếp theo\?/);

    // The helper sees them too, with the reason and the time on the step; "Đã xem" clears Thảo's flag.
    const thao = byName(lan, 'stuck-item', 'Thảo');
    await until(() => thao.innerText()).toMatch(/Bàn 4[\s\S]*Thảo[\s\S]*Bước 3 · đã \d+ (giây|phút) ở bước này[\s\S]*Lâu hơn dự kiến/);
    await thao.getByTestId('stuck-dismiss').click();
    await until(() => byName(teach, 'seat-tile', 'Thảo').getAttribute('data-state')).toBe('working');
    await until(() => thao.count()).toBe(0);

    // Hoà asks again ("Chưa hiểu"); the console shows Bác Tư's tablet gone.
    await hoa.locator('[data-testid="help-reason"][data-reason="not_understood"]').click();
    await until(() => hoaTile.getAttribute('data-state')).toBe('help');
    await until(() => byName(teach, 'queue-item', 'Hoà').innerText()).toMatch(/Chưa hiểu/);
    const tuTile = byName(teach, 'seat-tile', 'Bác Tư');
    await until(() => tuTile.getAttribute('data-state'), 45_000).toBe('offline');
    await until(() => tuTile.innerText()).toMatch(/Mất kết nối/);
    await until(() => byName(teach, 'roster-row', 'Bác Tư').getByTestId('roster-conn').innerText()).toMatch(/Mất kết nối từ \d{1,2}:\d{2}/);

    // The map: 2 × 3 places. Lành moved with "Chuyển chỗ" then an empty place; Phúc dragged.
    await tid(teach, 'seatmap-rows').fill('2');
    await tid(teach, 'seatmap-cols').fill('3');
    await tid(teach, 'seatmap-apply').click();
    const order = () => tid(teach, 'seatmap').evaluate((grid) => [...grid.children].map((c) => c.getAttribute('data-learner-name')));
    await until(order).toEqual(['Nguyễn Thị Lành', 'Hoà', 'Bác Tư', 'Thảo', 'Phúc', null]);
    await byName(teach, 'seat-tile', 'Nguyễn Thị Lành').getByRole('button', { name: 'Chuyển chỗ' }).click();
    await tid(teach, 'seatmap').getByRole('button', { name: 'Hàng 2, cột 3: Đặt vào đây' }).click();
    await until(order).toEqual(['Hoà', 'Bác Tư', 'Thảo', 'Phúc', null, 'Nguyễn Thị Lành']);
    await byName(teach, 'seat-tile', 'Phúc').dragTo(tid(teach, 'seatmap').locator(':scope > :nth-child(5)'));
    await until(order).toEqual(['Hoà', 'Bác Tư', 'Thảo', null, 'Phúc', 'Nguyễn Thị Lành']);

    // Every state at once, each in an icon and a word.
    const states = () =>
      tid(teach, 'seat-tile').evaluateAll((els) =>
        Object.fromEntries(els.map((e) => [String(e.getAttribute('data-learner-name')), e.getAttribute('data-state')] as const)),
      );
    await until(states).toEqual({
      Hoà: 'help',
      'Bác Tư': 'offline',
      Thảo: 'working',
      Phúc: 'stuck',
      'Nguyễn Thị Lành': 'done',
    });
    expect(await byName(teach, 'seat-tile', 'Thảo').innerText()).toMatch(/Đang làm/);
    expect(await byName(teach, 'seat-tile', 'Nguyễn Thị Lành').innerText()).toMatch(/Xong/);
    await teach.locator('section.seatmap').screenshot({ path: join(screenshotDir, 'help-seatmap.png') });
    await teach.evaluate(() => window.scrollTo(0, 0)); // the banner is sticky: show it in its place
    await shot(teach, 'help-console');

    // "Bỏ cờ" from the console.
    await byName(teach, 'seat-tile', 'Phúc').getByTestId('stuck-dismiss').click();
    await until(() => byName(teach, 'seat-tile', 'Phúc').getAttribute('data-state')).toBe('working');

    // The tablets report their round-trip time (every 15 s); the roster shows it.
    await until(() => byName(teach, 'roster-row', 'Nguyễn Thị Lành').getByTestId('roster-conn').innerText(), 20_000).toMatch(
      /phản hồi \d+ ms/,
    );

    // The sound alert is off by default; the choice is remembered.
    await until(() => tid(teach, 'sound-toggle').innerText()).toMatch(/Bật âm báo/);
    await tid(teach, 'sound-toggle').click();
    await until(() => tid(teach, 'sound-toggle').innerText()).toMatch(/Tắt âm báo/);
    expect(await teach.evaluate(() => localStorage.getItem('cunghoc.sound'))).toBe('on');
    await tid(teach, 'sound-toggle').click();
    expect(await teach.evaluate(() => localStorage.getItem('cunghoc.sound'))).toBe('off');

    // "Đổi người / Thoát" forgets the helper on this phone.
    await tid(lan, 'helper-leave').click();
    await tid(lan, 'helper-join').waitFor();
    expect(await lan.evaluate(() => localStorage.getItem('cunghoc.helper'))).toBeNull();

    for (const page of [teach, lan, minh, lanh, hoa]) expect(errorsOf(page)).toEqual([]);
  });
});
