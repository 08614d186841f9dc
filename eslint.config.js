// ESLint for the TypeScript sources (`npm run lint`, part of `npm test` with --max-warnings 0):
// the recommended rules of ESLint and typescript-eslint, plus the project's own: no `any`, no
// non-null assertion on something that cannot be null, no unused variables, `import type` for
// types, and no import cycles through relative paths (checked by scripts/check-imports.mjs).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'web/dist/**', 'node_modules/**', 'src/kernels/wasm/generated/**', 'assembly/**', 'bench/results/**', 'test-output/**', 'runs/**'] },
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
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', performance: 'readonly', fetch: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', WebAssembly: 'readonly', setImmediate: 'readonly' } },
  },
);
