// A module of the server for the command-line scripts: the built one when there is one (a release,
// npm ci --omit=dev), else the sources through tsx. `path` is below server/, without extension.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const root = resolve(import.meta.dirname, '..');

export async function serverModule(path) {
  const built = join(root, `dist/server/server/${path}.js`);
  if (existsSync(built)) return import(pathToFileURL(built).href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(join(root, `server/${path}.ts`)).href);
}
