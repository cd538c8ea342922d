import type { Lesson } from '../../shared/lesson/schema.ts';
import type { PersonGroup, Progress, ProgressRow, SkillDomain } from '../../shared/protocol/register.ts';
import type { SessionState } from './state.ts';

/**
 * Skills that add up across classes (docs/register.md). Pure: the room and the store feed it folded
 * sessions, links and people; it never reads a clock or a database.
 */

/** Bump when the rule below changes: cached evidence of older versions is derived again. */
export const EVIDENCE_VERSION = 2;

/** One skill shown by one person of a session (a results row: "learnerId" or "learnerId.1"), first at `at`. */
export interface Evidence {
  rowId: string;
  skill: string;
  at: number;
}

/** Something a learner finished right in class, on a lesson step: the unit the rule credits. */
export interface Achievement {
  learnerId: string;
  step: number;
  at: number;
  /** The skills shown, when not the step's (a practice task that names its own). */
  skills?: readonly string[];
}

/**
 * The rule: a skill is demonstrated when a learner answers right (full credit) a practice question
 * of a lesson step tagged with that skill, or finishes a practice task of such a step. Quick questions
 * typed during class and polls tag no skill. A tablet in pair mode credits each person on it.
 */
export function sessionEvidence(state: SessionState): Evidence[] {
  return evidenceFrom(state, [...questionAchievements(state), ...taskAchievements(state)]);
}

/** Practice questions answered right: the latest answer of each learner to each run from a lesson step. */
export function questionAchievements(state: SessionState): Achievement[] {
  const out: Achievement[] = [];
  for (const run of state.quizzes.values()) {
    if (run.source === null || run.question.kind === 'poll') continue;
    for (const [learnerId, answer] of run.answers) {
      if (answer.score === 1) out.push({ learnerId, step: run.source.step, at: answer.at });
    }
  }
  return out;
}

/**
 * Practice tasks finished: one achievement per learner and task run that reached the goal (at the
 * first finish), credited with the task's own skills, or its step's when the task names none.
 */
export function taskAchievements(state: SessionState): Achievement[] {
  const out: Achievement[] = [];
  for (const run of state.tasks.values()) {
    for (const [learnerId, p] of run.progress) {
      if (p.finishMs === null) continue;
      out.push({
        learnerId,
        step: run.source.step,
        at: p.startedAt + p.finishMs,
        ...(run.task.skills.length > 0 ? { skills: run.task.skills } : {}),
      });
    }
  }
  return out;
}

/** Achievements → the earliest evidence of each skill for each person of the session. */
export function evidenceFrom(state: SessionState, achievements: readonly Achievement[]): Evidence[] {
  const first = new Map<string, Evidence>();
  for (const a of achievements) {
    const learner = state.learners.get(a.learnerId);
    const skills = a.skills ?? state.lesson.steps[a.step]?.skills ?? [];
    if (!learner) continue;
    const rows = [learner.id, ...learner.partners.map((_, i) => `${learner.id}.${i + 1}`)];
    for (const rowId of rows) {
      for (const skill of skills) {
        const key = `${rowId}\u0000${skill}`;
        const seen = first.get(key);
        if (!seen || a.at < seen.at) first.set(key, { rowId, skill, at: a.at });
      }
    }
  }
  return [...first.values()].sort((x, y) => x.at - y.at || (x.rowId < y.rowId ? -1 : x.rowId > y.rowId ? 1 : x.skill < y.skill ? -1 : 1));
}

/** Where a person showed a skill first. */
export interface Shown {
  at: number;
  sessionId: string;
}

/** A person's skills from all the classes linked to them: the first time each was shown. */
export function personSkills(perSession: readonly { sessionId: string; evidence: readonly Evidence[] }[]): Map<string, Shown> {
  const out = new Map<string, Shown>();
  for (const { sessionId, evidence } of perSession) {
    for (const e of evidence) {
      const seen = out.get(e.skill);
      if (!seen || e.at < seen.at) out.set(e.skill, { at: e.at, sessionId });
    }
  }
  return out;
}

/** Reached the standard once every required skill is shown; when: the last of them. */
export function standardReached(required: readonly string[], shown: ReadonlyMap<string, Shown>): { reached: boolean; at: number | null } {
  if (required.length === 0) return { reached: false, at: null };
  let at = 0;
  for (const skill of required) {
    const s = shown.get(skill);
    if (!s) return { reached: false, at: null };
    at = Math.max(at, s.at);
  }
  return { reached: true, at };
}

/** The skills of the "Kỹ năng số cơ bản" standard, with their Vietnamese names and framework domain. */
export interface SkillDef {
  name: string;
  domain: SkillDomain;
}

/** The starter curriculum's skills: the default standard. A skill of another lesson is named by its id, domain "khác". */
export const starterSkills: Record<string, SkillDef> = {
  'dung-dien-thoai': { name: 'Sử dụng điện thoại thông minh', domain: 'giai-quyet' },
  'thao-tac-cam-ung': { name: 'Thao tác trên màn hình cảm ứng', domain: 'giai-quyet' },
  'ket-noi-wifi': { name: 'Kết nối mạng Wi-Fi', domain: 'giai-quyet' },
  'cai-dat-ung-dung': { name: 'Cài đặt ứng dụng an toàn', domain: 'giai-quyet' },
  'an-toan-thong-tin': { name: 'Bảo vệ thông tin cá nhân', domain: 'an-toan' },
  'phong-chong-lua-dao': { name: 'Nhận biết và phòng tránh lừa đảo trực tuyến', domain: 'an-toan' },
  'mat-khau': { name: 'Đặt và giữ mật khẩu an toàn', domain: 'an-toan' },
  vneid: { name: 'Sử dụng ứng dụng VNeID', domain: 'giao-tiep' },
  'dinh-danh-dien-tu': { name: 'Định danh điện tử', domain: 'giao-tiep' },
  'dich-vu-cong': { name: 'Tìm và làm thủ tục dịch vụ công trực tuyến', domain: 'thong-tin' },
  'thanh-toan-qr': { name: 'Thanh toán bằng mã QR', domain: 'giao-tiep' },
  'ngan-hang-so': { name: 'Sử dụng ngân hàng số', domain: 'giao-tiep' },
  'mua-ban-truc-tuyen': { name: 'Mua hàng trực tuyến an toàn', domain: 'giao-tiep' },
  'ban-hang-truc-tuyen': { name: 'Bán hàng và đăng tin trực tuyến', domain: 'sang-tao' },
};

export const STANDARD_NAME = 'Kỹ năng số cơ bản';
export const DEFAULT_TARGET_PCT = 80;
export const PUPIL_TARGET_PCT = 100;

export const skillDef = (id: string): SkillDef => starterSkills[id] ?? { name: id, domain: 'khac' };

/**
 * Skills the lessons teach with practice (a tagged step with a question), in lesson order, each with
 * the first lesson that teaches it: what a person still missing a skill should attend.
 */
export function teachingLessons(lessons: readonly Lesson[]): Map<string, { id: string; title: string }> {
  const out = new Map<string, { id: string; title: string }>();
  for (const lesson of lessons) {
    for (const step of lesson.steps) {
      if (!step.questions.some((q) => q.kind !== 'poll')) continue;
      for (const skill of step.skills) if (!out.has(skill)) out.set(skill, { id: lesson.id, title: lesson.title });
    }
  }
  return out;
}

/** Vietnam keeps UTC+7 all year: a month boundary is the same everywhere in the country. */
const VN_OFFSET_MS = 7 * 3600_000;
export const monthOf = (ms: number): string => new Date(ms + VN_OFFSET_MS).toISOString().slice(0, 7);

export interface FigureInput {
  people: readonly { id: string; hamlet: string; group: PersonGroup }[];
  /** People who attended at least one class. */
  attended: ReadonlySet<string>;
  /** Each person's skills (first shown). */
  skills: ReadonlyMap<string, ReadonlyMap<string, Shown>>;
  required: readonly string[];
  /** Every skill to report on (required first, then the others the lessons teach). */
  skillIds: readonly string[];
  targetPct: number;
  populations: Readonly<Record<string, number>>;
  at: number;
}

const pct = (n: number, of: number): number | null => (of > 0 ? Math.round((n / of) * 1000) / 10 : null);

/**
 * "Tiến độ phong trào": per hamlet, the share of its adults (population entered by the official;
 * pupils are not counted among them) who reached the standard, against the target; per group, the
 * share of registered people (pupils against 100%); per skill; per month.
 */
export function progressFigures(input: FigureInput): Progress {
  const reachedAt = new Map<string, number>();
  for (const p of input.people) {
    const r = standardReached(input.required, input.skills.get(p.id) ?? new Map());
    if (r.reached) reachedAt.set(p.id, r.at!);
  }
  type Tally = { registered: number; attended: number; reached: number; adultsReached: number };
  const tally = (map: Map<string, Tally>, key: string, p: { id: string; group: PersonGroup }) => {
    const t = map.get(key) ?? { registered: 0, attended: 0, reached: 0, adultsReached: 0 };
    t.registered += 1;
    if (input.attended.has(p.id)) t.attended += 1;
    if (reachedAt.has(p.id)) {
      t.reached += 1;
      if (p.group !== 'hoc-sinh') t.adultsReached += 1;
    }
    map.set(key, t);
  };
  const hamlets = new Map<string, Tally>();
  const groups = new Map<string, Tally>();
  for (const h of Object.keys(input.populations)) hamlets.set(h, { registered: 0, attended: 0, reached: 0, adultsReached: 0 });
  for (const p of input.people) {
    tally(hamlets, p.hamlet, p);
    tally(groups, p.group, p);
  }
  const row = (key: string, t: Tally, population: number | null, share: number | null, targetPct: number): ProgressRow => ({
    key,
    registered: t.registered,
    attended: t.attended,
    reached: t.reached,
    population,
    sharePct: share,
    targetPct,
    met: share !== null && share >= targetPct,
  });
  const hamletRows = [...hamlets.entries()]
    .map(([key, t]) => {
      const population = input.populations[key] ?? null;
      return row(key, t, population, population === null ? null : pct(t.adultsReached, population), input.targetPct);
    })
    .sort((a, b) => a.key.localeCompare(b.key, 'vi', { numeric: true }));
  const groupRows = [...groups.entries()].map(([key, t]) =>
    row(key, t, null, pct(t.reached, t.registered), key === 'hoc-sinh' ? PUPIL_TARGET_PCT : input.targetPct),
  );

  const required = new Set(input.required);
  // One pass over the people: each one's skills counted once.
  const shownBy = new Map<string, number>();
  for (const p of input.people) for (const id of input.skills.get(p.id)?.keys() ?? []) shownBy.set(id, (shownBy.get(id) ?? 0) + 1);
  const skills = input.skillIds.map((id) => {
    const demonstrated = shownBy.get(id) ?? 0;
    const def = skillDef(id);
    return {
      id,
      name: def.name,
      domain: def.domain,
      required: required.has(id),
      demonstrated,
      sharePct: pct(demonstrated, input.people.length),
    };
  });

  const perMonth = new Map<string, number>();
  for (const at of reachedAt.values()) perMonth.set(monthOf(at), (perMonth.get(monthOf(at)) ?? 0) + 1);
  let cumulative = 0;
  const months = [...perMonth.keys()].sort().map((month) => {
    cumulative += perMonth.get(month)!;
    return { month, reached: perMonth.get(month)!, cumulative };
  });

  return {
    at: input.at,
    totals: { registered: input.people.length, attended: input.attended.size, reached: reachedAt.size },
    targetPct: input.targetPct,
    pupilTargetPct: PUPIL_TARGET_PCT,
    hamlets: hamletRows,
    groups: groupRows,
    skills,
    months: fillMonths(months),
  };
}

/** Months without anyone reaching the standard still show on the chart, as zero. */
function fillMonths(months: Progress['months']): Progress['months'] {
  if (months.length < 2) return months;
  const out: Progress['months'] = [];
  const byMonth = new Map(months.map((m) => [m.month, m]));
  let [y, m] = months[0].month.split('-').map(Number);
  const last = months[months.length - 1].month;
  let cumulative = 0;
  for (;;) {
    const key = `${y}-${String(m).padStart(2, '0')}`;
    const found = byMonth.get(key);
    cumulative = found?.cumulative ?? cumulative;
    out.push({ month: key, reached: found?.reached ?? 0, cumulative });
    if (key === last) break;
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
  return out;
}
