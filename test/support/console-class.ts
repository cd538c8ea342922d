import type { Page } from 'playwright-core';
import { laptop, setUpConsole, startClassFromList, tid, type useBrowserClass } from './browser.ts';

/**
 * The walkthroughs' opening, as in the hall: the instructor's laptop makes the first account on the
 * console's first page, then starts a class of `lesson` from the list. The page, with the class's
 * code, helper code and session id.
 */
export async function consoleWithClass(
  env: ReturnType<typeof useBrowserClass>,
  lesson?: string,
): Promise<{ teach: Page; code: string; helperCode: string; sessionId: string }> {
  const teach = await env.newPage(laptop);
  await setUpConsole(teach, env.server.url);
  return { teach, ...(await startClassFromList(teach, lesson)) };
}

/** The projector of the class `code`, on a laptop-sized screen, once it shows the class code. */
export async function projectorOf(env: ReturnType<typeof useBrowserClass>, code: string): Promise<Page> {
  const display = await env.newPage(laptop);
  await display.goto(`${env.server.url}/display/?code=${code}`);
  await tid(display, 'display-code').waitFor();
  return display;
}
