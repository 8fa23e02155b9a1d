import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const SUBGRAPHS = ['enhetsregisteret', 'meldingsboks', 'varsling'];

/** `no-restricted-imports` for `files`: none of `groups` (globs of import paths), with why. */
const forbid = (files, groups) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: groups.map(([group, message]) => ({ group, message })) },
    ],
  },
});

const NO_GATEWAY = [['**/gateway/**'], 'Only the gateway imports the gateway.'];
const NO_SUBGRAPHS = [['**/subgraphs/**'], 'The gateway and platform/ know no domain.'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/', 'coverage/', 'bench/peers/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      // './x.js' in TypeScript sources means './x.ts'.
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through platform/runtime/env.ts.',
        },
      ],
      // The house has no circles: a module never imports, through others, itself.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  // Plain Node scripts (the build step, bench configs).
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  // The one file that reads the environment; the dev runner hands it on to the gateway it
  // starts; tests hand it to the processes they start.
  {
    files: ['platform/runtime/env.ts', 'subgraphs/commands/dev.ts', 'test/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  // Tests read loosely typed JSON responses.
  {
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  // The boundaries: the gateway knows no domain; platform/ is plumbing that imports neither the
  // gateway nor a subgraph; nothing under subgraphs/ (commands included) imports the gateway.
  forbid(['gateway/**/*.ts'], [NO_SUBGRAPHS]),
  forbid(['platform/**/*.ts'], [NO_SUBGRAPHS, NO_GATEWAY]),
  forbid(
    ['subgraphs/commands/**/*.ts', 'subgraphs/*.ts', 'subgraphs/domain/**/*.ts'],
    [NO_GATEWAY],
  ),
  // Subgraphs never import each other, nor the gateway; shared plumbing lives in platform/.
  ...SUBGRAPHS.map((name) =>
    forbid(
      [`subgraphs/${name}/**/*.ts`],
      [
        NO_GATEWAY,
        ...SUBGRAPHS.filter((other) => other !== name).map((other) => [
          [`**/${other}/**`, `../${other}`, `../../${other}`],
          'Subgraphs never import each other.',
        ]),
      ],
    ),
  ),
);
