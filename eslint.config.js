import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const SUBGRAPHS = ['enhetsregisteret', 'meldingsboks', 'varsling'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through platform/env.ts.',
        },
      ],
    },
  },
  // The one file that reads the environment; tests hand it to the processes they start.
  {
    files: ['platform/env.ts', 'test/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  // Tests read loosely typed JSON responses.
  {
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  // The gateway knows no domain.
  {
    files: ['gateway/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/subgraphs/**'], message: 'The gateway knows no domain.' }] },
      ],
    },
  },
  // Subgraphs never import each other; shared plumbing lives in platform/.
  ...SUBGRAPHS.map((name) => ({
    files: [`subgraphs/${name}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: SUBGRAPHS.filter((other) => other !== name).map((other) => ({
            group: [`**/${other}/**`, `../${other}`, `../../${other}`],
            message: 'Subgraphs never import each other.',
          })),
        },
      ],
    },
  })),
);
