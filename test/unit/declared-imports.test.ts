import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, without types
import { checkImports, importsOf } from '../../scripts/check-imports.mjs';
import { removeDir } from '../support/server.ts';

const check = checkImports as (dir?: string) => string[];

describe('declared packages', () => {
  it('every package this project imports is declared in package.json, the server’s in "dependencies"', () => {
    expect(check()).toEqual([]);
  });

  it('finds imports of every form, and only real ones', () => {
    const found = (importsOf as (s: string) => { name: string; typeOnly: boolean }[])(
      [
        "import a from 'left-pad';",
        'import {\n  b,\n  c,\n} from "@scope/pkg/sub";',
        "import type { T } from 'only-types';",
        "export { d } from 'reexported';",
        "import 'side-effect';",
        // Split so that the scan of this very file does not find them.
        'const e = await imp' + "ort('dynamic');",
        'const f = requ' + "ire('required');",
        "import g from 'node:fs';",
        "import h from 'path';",
        "import i from './local.ts';",
        "// import j from 'commented';",
        'const s = \'import k from "in-a-string"\';',
        "import v from 'virtual:pwa-register';",
      ].join('\n'),
    );
    expect(found).toEqual([
      { name: 'left-pad', typeOnly: false },
      { name: '@scope/pkg', typeOnly: false },
      { name: 'only-types', typeOnly: true },
      { name: 'reexported', typeOnly: false },
      { name: 'side-effect', typeOnly: false },
      { name: 'dynamic', typeOnly: false },
      { name: 'required', typeOnly: false },
    ]);
  });

  it('fails on an undeclared import, and on a server import that is only a devDependency', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cunghoc-imports-'));
    try {
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({ dependencies: { express: '5' }, devDependencies: { vite: '8', '@types/ws': '8' } }),
      );
      for (const d of ['server', 'client', 'scripts']) mkdirSync(join(dir, d));
      writeFileSync(
        join(dir, 'server/app.ts'),
        "import express from 'express';\nimport { build } from 'vite';\nimport type { Plugin } from 'vite';\n",
      );
      writeFileSync(
        join(dir, 'client/main.ts'),
        "import MagicString from 'magic-string';\nimport { build } from 'vite';\nimport type { WebSocket } from 'ws';\n",
      );
      writeFileSync(join(dir, 'scripts/x.mjs'), "import { parseAst } from 'rolldown/parseAst';\n");
      expect(check(dir)).toEqual([
        'server/app.ts: imports "vite", which is only a devDependency; the production server needs it in "dependencies"',
        'client/main.ts: imports "magic-string", which package.json does not declare',
        'scripts/x.mjs: imports "rolldown", which package.json does not declare',
      ]);
    } finally {
      removeDir(dir);
    }
  });
});
