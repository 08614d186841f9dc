// ESLint for the TypeScript sources (`npm run lint`, part of `npm test` with --max-warnings 0):
// the recommended rules of ESLint and typescript-eslint, plus the project's own: no `any`, no
// non-null assertion on something that cannot be null, no unused variables, `import type` for
// types, no Node module or global in browser-safe code, and no import cycles through relative
// paths (checked by scripts/check-imports.mjs).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'web/dist/**', 'node_modules/**', 'src/kernels/wasm/generated/**', 'assembly/**', 'bench/results/**', 'test-output/**', 'runs/**', 'docs/api/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Browser-safe code (the library outside its Node-only modules: *-node.ts, the CLI, the Node
    // entry points; and the playground) imports nothing from Node and uses none of its globals.
    files: ['src/**/*.ts', 'web/src/**/*.ts'],
    ignores: ['src/**/*-node.ts', 'src/cli/**', 'src/node.ts', 'src/data/node.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'worker_threads', 'v8', 'module'], message: 'browser-safe code: Node modules are imported in a *-node.ts file, reached behind a Node check' }],
      }],
      'no-restricted-globals': ['error', ...['process', 'Buffer', 'setImmediate', 'require', '__dirname', '__filename', 'global'].map((name) => ({
        name, message: 'browser-safe code: Node globals are used in a *-node.ts file (or looked up on globalThis where optional)',
      }))],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', performance: 'readonly', fetch: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', WebAssembly: 'readonly', setImmediate: 'readonly' } },
  },
);
