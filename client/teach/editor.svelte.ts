import { tick } from 'svelte';
import { Lesson } from '../../shared/lesson/schema.ts';
import type { ClientError, Result } from '../lib/api.ts';
import { api } from '../lib/http.ts';
import type { Key, Params } from '../lib/i18n/i18n.svelte.ts';
import { newLesson, newStep, normalizeJson, slugify, uniqueId } from './lesson-draft.ts';

/** A problem with one field: a dictionary message when we know the kind of problem, else the schema's words. */
export interface FieldIssue {
  /** The zod path joined with dots: "steps.0.title". */
  key: string;
  path: (string | number)[];
  text: { key: Key; params?: Params } | { raw: string };
}

interface ZodLikeIssue {
  code?: string;
  path: PropertyKey[];
  message: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  format?: string;
}

export const fieldId = (key: string): string => `f-${key.replaceAll('.', '-')}`;
export const errorId = (key: string): string => `e-${key.replaceAll('.', '-')}`;

/** What ties a field's control to its label (the id) and, for screen readers, to its problem and hint. */
export interface FieldAttrs {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

/** Our words for a schema issue; server issues carry only a path and a message, shown as they come. */
function describe(issue: ZodLikeIssue): FieldIssue['text'] {
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'array') return { key: 'editor.err.tooFew', params: { n: Number(issue.minimum) } };
      if (issue.origin === 'number') return { key: 'editor.err.tooSmall', params: { n: Number(issue.minimum) } };
      return { key: 'editor.err.required' };
    case 'too_big':
      if (issue.origin === 'array') return { key: 'editor.err.tooMany', params: { n: Number(issue.maximum) } };
      if (issue.origin === 'number') return { key: 'editor.err.tooBig', params: { n: Number(issue.maximum) } };
      return { key: 'editor.err.tooLong', params: { n: Number(issue.maximum) } };
    case 'invalid_format':
      return { key: 'editor.err.slug' };
    case 'invalid_type':
      return { key: 'editor.err.required' };
    case 'custom':
      if (issue.message.startsWith('duplicate')) return { key: 'editor.err.duplicate' };
      if (issue.message.startsWith('no option')) return { key: 'editor.err.correctMissing' };
      // A practice task's graph (shared/lesson/task-graph.ts).
      if (issue.message.startsWith('no path reaches screen')) return { key: 'tf.problem.unreachable_screen' };
      if (issue.message === 'no path reaches the goal') return { key: 'tf.problem.no_goal' };
      if (issue.message.endsWith('leads nowhere')) return { key: 'tf.problem.leads_nowhere' };
      if (issue.message.endsWith('has no explanation')) return { key: 'tf.problem.trap_no_explanation' };
      if (issue.message.startsWith('no screen')) return { key: 'tf.problem.unknown_screen' };
      if (issue.message.startsWith('no trap')) return { key: 'tf.problem.unknown_trap' };
      return { raw: issue.message };
    default:
      return { raw: issue.message };
  }
}

const toIssues = (list: ZodLikeIssue[], known: boolean): FieldIssue[] =>
  list.map((i) => {
    const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
    return { key: path.join('.'), path, text: known ? describe(i) : { raw: i.message } };
  });

/** A lesson document's problems in our words (an imported file, before or after the server refused it). */
export function checkLesson(doc: unknown): FieldIssue[] {
  const check = Lesson.safeParse(doc);
  return check.success ? [] : toIssues(check.error.issues, true);
}

/** The server's issues (a path and an English message each), as field issues. */
export const serverIssues = (list: unknown): FieldIssue[] => (Array.isArray(list) ? toIssues(list as ZodLikeIssue[], false) : []);

interface LessonDoc {
  lesson: Lesson;
  archived: boolean;
  updatedAt: number;
}

/**
 * One lesson being written: the draft, its problems (same zod schema as the server), saving, and
 * whether there are unsaved changes. `id` null is a new lesson.
 */
export class LessonEditor {
  /** The lesson's id on the server; null until a new lesson is first saved. */
  #id = $state<string | null>(null);
  /** The lesson as edited; forms bind to it directly (a deep proxy), hence public. */
  draft = $state<Lesson>(newLesson());
  /** The step whose form and preview are shown. */
  selected = $state(0);
  #saved = $state(JSON.stringify(this.draft));
  #loading = $state(false);
  #saving = $state(false);
  #loadFailed = $state(false);
  #error = $state.raw<ClientError | null>(null);
  #touched = $state<Record<string, true>>({});
  #attempted = $state(false);
  /** Server issues, valid for the draft they were about (JSON), forgotten on the next change. */
  #server = $state.raw<{ json: string; issues: FieldIssue[] } | null>(null);
  /** The id follows the title until the instructor types one. */
  #idEdited = $state(false);
  #json = $derived(JSON.stringify(this.draft));
  #check = $derived(Lesson.safeParse(normalizeJson(this.#json)));

  constructor(id: string | null) {
    this.#id = id;
    this.#loading = id !== null;
  }

  get isNew(): boolean {
    return this.#id === null;
  }
  get loading(): boolean {
    return this.#loading;
  }
  /** The lesson could not be loaded: there is nothing to edit. */
  get loadFailed(): boolean {
    return this.#loadFailed;
  }
  get saving(): boolean {
    return this.#saving;
  }
  get error(): ClientError | null {
    return this.#error;
  }
  get dirty(): boolean {
    return this.#json !== this.#saved;
  }
  /** True after a save was tried: every problem shows, and the summary. */
  get attempted(): boolean {
    return this.#attempted;
  }

  /** All problems: the schema's (checked as the instructor types) and the server's last answer. */
  get issues(): FieldIssue[] {
    return this.#issues;
  }
  #issues = $derived.by(() => {
    const own = this.#check.success ? [] : toIssues(this.#check.error.issues, true);
    const server = this.#server && this.#server.json === this.#json ? this.#server.issues : [];
    const keys = new Set(own.map((i) => i.key));
    return [...own, ...server.filter((i) => !keys.has(i.key))];
  });

  /** One lookup per field instead of a scan of every problem; the first problem of a field wins. */
  #byKey = $derived.by(() => {
    const byKey = new Map<string, FieldIssue>();
    for (const issue of this.#issues) if (!byKey.has(issue.key)) byKey.set(issue.key, issue);
    return byKey;
  });

  /** The problem shown next to a field: once the field was touched, or after a save attempt. */
  issueFor(key: string): FieldIssue | null {
    if (!this.#attempted && !this.#touched[key] && !(this.#server && this.#server.json === this.#json)) return null;
    return this.#byKey.get(key) ?? null;
  }

  /** Attributes for a field's control: its id, and its problem (if shown) tied to it for screen readers. */
  field(key: string, hint?: string): FieldAttrs {
    const issue = this.issueFor(key);
    const describedby = [issue ? errorId(key) : '', hint ?? ''].filter(Boolean).join(' ') || undefined;
    return { id: fieldId(key), 'aria-invalid': issue !== null, 'aria-describedby': describedby };
  }

  touch(key: string): void {
    if (!this.#touched[key]) this.#touched[key] = true;
  }

  async load(): Promise<ClientError | null> {
    if (this.#id === null) return null;
    this.#loading = true;
    const res = await api<LessonDoc>('GET', `/api/lessons/${encodeURIComponent(this.#id)}`);
    this.#loading = false;
    if (res.ok) {
      this.draft = res.data.lesson; // a fresh object from the response: nothing else holds it
      this.#saved = JSON.stringify(this.draft);
      this.#idEdited = true;
    }
    this.#loadFailed = !res.ok;
    this.#error = res.ok ? null : res.error;
    return this.#error;
  }

  setTitle(title: string): void {
    this.draft.title = title;
    if (this.isNew && !this.#idEdited) this.draft.id = slugify(title);
  }

  setId(id: string): void {
    this.draft.id = id;
    this.#idEdited = id !== '';
  }

  /** Save to the server; problems show next to their fields. Returns the saved lesson's id, or null. */
  async save(): Promise<string | null> {
    this.#attempted = true;
    this.#error = null;
    if (!this.#check.success) return null;
    const lesson = this.#check.data;
    const json = this.#json;
    this.#saving = true;
    const res: Result<{ lesson: Lesson }> = this.isNew
      ? await api('POST', '/api/lessons', { lesson })
      : await api('PUT', `/api/lessons/${encodeURIComponent(this.#id!)}`, { lesson });
    this.#saving = false;
    if (res.ok) {
      this.#saved = json;
      this.#server = null;
      this.#id = res.data.lesson.id;
      this.#idEdited = true;
      return res.data.lesson.id;
    }
    const error = res.error as ClientError & { issues?: ZodLikeIssue[] };
    if (error.code === 'invalid_lesson' && Array.isArray(error.issues)) {
      this.#server = { json, issues: serverIssues(error.issues) };
    } else if (error.code === 'lesson_exists') {
      this.#server = { json, issues: [{ key: 'id', path: ['id'], text: { key: 'editor.err.idTaken' } }] };
    }
    this.#error = error;
    return null;
  }

  addStep(): void {
    const id = uniqueId(
      `buoc-${this.draft.steps.length + 1}`,
      this.draft.steps.map((s) => s.id),
    );
    this.draft.steps.push(newStep(id));
    this.selected = this.draft.steps.length - 1;
  }

  removeStep(i: number): void {
    this.draft.steps.splice(i, 1);
    if (this.selected > i) this.selected--;
    this.selected = Math.max(0, Math.min(this.selected, this.draft.steps.length - 1));
  }

  /** Move a step up (-1) or down (+1); the selection follows the step it was on. */
  moveStep(i: number, by: -1 | 1): void {
    const steps = this.draft.steps;
    const j = i + by;
    if (j < 0 || j >= steps.length) return;
    [steps[i], steps[j]] = [steps[j], steps[i]];
    if (this.selected === i) this.selected = j;
    else if (this.selected === j) this.selected = i;
  }

  /** Show a field: open its step, then focus the field (or the closest thing that has an id). */
  async focus(issue: FieldIssue): Promise<void> {
    if (issue.path[0] === 'steps' && typeof issue.path[1] === 'number') this.selected = issue.path[1];
    await tick();
    for (let n = issue.path.length; n > 0; n--) {
      const el = document.getElementById(fieldId(issue.path.slice(0, n).join('.')));
      if (el) {
        el.focus();
        el.scrollIntoView({ block: 'center' });
        return;
      }
    }
  }
}
