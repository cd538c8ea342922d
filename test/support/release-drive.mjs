// Run inside an empty network namespace (only loopback): start an unpacked release with PATH holding
// nothing but Node.js, then be an instructor and a learner. Prints one JSON line with what it saw.
//   node release-drive.mjs <release folder> <folder holding only node> <data folder>
import { spawn } from 'node:child_process';
import { io } from 'socket.io-client';

const [dir, nodeOnly, dataDir] = process.argv.slice(2);
const port = 3900 + Math.floor(Math.random() * 90);
const base = `http://127.0.0.1:${port}`;
const seen = {
  node: null,
  banner: false,
  root: 0,
  teach: 0,
  rootHasApp: false,
  joined: false,
  answered: null,
  staffAnswered: null,
  output: '',
};

const server = spawn('/bin/sh', ['./start.sh'], {
  cwd: dir,
  env: { PATH: nodeOnly, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATA_DIR: dataDir },
  stdio: ['ignore', 'pipe', 'pipe'],
});
const ready = new Promise((resolve, reject) => {
  const onData = (d) => {
    seen.output += d.toString();
    if (seen.output.includes('Cùng Học is running')) resolve();
  };
  server.stdout.on('data', onData);
  server.stderr.on('data', onData);
  server.once('exit', (code) => reject(new Error(`the server exited (${code}): ${seen.output}`)));
});
const deadline = setTimeout(() => finish(new Error('timed out')), 60_000);

const call = (socket, event, payload) => socket.timeout(10_000).emitWithAck(event, payload);
const unwrap = (ack) => {
  if (!ack.ok) throw new Error(`${ack.error.code}: ${ack.error.message}`);
  return ack.data;
};
const json = async (method, path, body, cookie) => {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(cookie ? { cookie } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { ack: await res.json(), cookie: res.headers.get('set-cookie')?.split(';')[0] };
};

function finish(err) {
  clearTimeout(deadline);
  server.kill('SIGTERM');
  if (err) seen.error = String(err.stack ?? err);
  console.log(JSON.stringify(seen));
  process.exit(0);
}

try {
  await ready;
  seen.banner = true;
  seen.node = /Node\.js (v[\d.]+)/.exec(seen.output)?.[1] ?? null;
  const root = await fetch(`${base}/`);
  seen.root = root.status;
  seen.rootHasApp = (await root.text()).includes('<script type="module"');
  seen.teach = (await fetch(`${base}/teach/`)).status;

  const setup = await json('POST', '/api/setup', { username: 'giangvien', displayName: 'Cô Hạnh', password: 'mat-khau-du-dai' });
  const cookie = setup.cookie;
  const session = unwrap((await json('POST', '/api/sessions', { lessonId: 'thanh-toan-qr' }, cookie)).ack);
  const opts = { transports: ['websocket'], forceNew: true };
  const staff = io(`${base}/staff`, { ...opts, extraHeaders: { cookie } });
  unwrap(await call(staff, 'staff:watch', { sessionId: session.id }));
  const learner = io(`${base}/learner`, opts);
  unwrap(await call(learner, 'learner:join', { code: session.code, name: 'Bà Lan', token: `tok-release-${'x'.repeat(24)}` }));
  seen.joined = true;
  unwrap(await call(staff, 'step:push', { sessionId: session.id, step: 0 }));
  const question = {
    id: 'q1',
    kind: 'single',
    prompt: 'Có nên chia sẻ mã OTP?',
    options: [
      { id: 'co', text: 'Có' },
      { id: 'khong', text: 'Không' },
    ],
    correct: 'khong',
  };
  const { runId } = unwrap(await call(staff, 'quiz:open', { sessionId: session.id, source: { question }, timeLimit: null }));
  const me = unwrap(
    await call(learner, 'quiz:answer', { runId, answerId: 'answer-release-1', value: { kind: 'single', option: 'khong' } }),
  );
  seen.answered = me.answer?.value ?? null;
  seen.staffAnswered = unwrap(await call(staff, 'staff:watch', { sessionId: session.id })).quiz?.answered ?? null;
  staff.disconnect();
  learner.disconnect();
  finish();
} catch (err) {
  finish(err);
}
