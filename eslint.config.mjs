// Lint rules for drover's TypeScript (npm run lint). Formatting is prettier's job; import
// direction is dependency-cruiser's. Type-aware: promises must be awaited, returned or handled.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/lib/**', '**/build/**', '**/node_modules/**', 'packages/contract/src/generated/**', '**/*.d.ts'] },
  {
    files: ['packages/*/src/**/*.ts', 'test/src/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          ignoreVoid: false,
          allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'describe', 'it', 'suite'], package: 'node:test' }],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Deliberate: heavy modules (pino, nats, the PKI, grpc reflection) are loaded on first use, so
      // a CLI verb does not pay for what it never calls.
      '@typescript-eslint/no-require-imports': 'off',
      // Validators and terminal-output parsers match control characters on purpose.
      'no-control-regex': 'off',
      // Typed EventEmitters declare their events by merging an interface into the class.
      '@typescript-eslint/no-unsafe-declaration-merging': 'off',
    },
  },
  {
    files: ['**/*.test.ts'],
    // Expected output is written as it prints, spaces included.
    rules: { 'no-regex-spaces': 'off' },
  },
);
