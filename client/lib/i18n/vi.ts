/*
 * Vietnamese, the default language: every visible string, one section per page (vi/*.ts), so a
 * page ships only its own words — the learner page has a 45 KB budget. `{name}` marks a parameter.
 */
import type { common } from './vi/common.ts';
import type { display } from './vi/display.ts';
import type { help } from './vi/help.ts';
import type { learner } from './vi/learner.ts';
import type { staff } from './vi/staff.ts';
import type { seat } from './vi/seat.ts';
import type { teach } from './vi/teach.ts';
import type { register } from './vi/register.ts';
import type { task } from './vi/task.ts';

export { common } from './vi/common.ts';
export { learner } from './vi/learner.ts';
export { teach } from './vi/teach.ts';
export { display } from './vi/display.ts';
export { staff } from './vi/staff.ts';
export { help } from './vi/help.ts';
export { seat } from './vi/seat.ts';
export { register } from './vi/register.ts';
export { task } from './vi/task.ts';

/** The shape another language must fill for a section: a missing or extra key fails type checking. */
export type Shape<T> = Record<keyof T, string>;
export type Key =
  | keyof typeof common
  | keyof typeof learner
  | keyof typeof teach
  | keyof typeof display
  | keyof typeof staff
  | keyof typeof help
  | keyof typeof seat
  | keyof typeof register
  | keyof typeof task;
export type Dict = Partial<Record<Key, string>>;
