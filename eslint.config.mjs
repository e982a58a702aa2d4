// Lint: typescript-eslint's recommended rules and Nx module boundaries (apps never import apps,
// libs never import apps). Formatting is Prettier's (.prettierrc), not ESLint's.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/coverage/**', '.nx/**', 'libs/client/src/openapi.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // The repo's style: `any` where a shape is not worth a type (test helpers, raw SQL rows).
      '@typescript-eslint/no-explicit-any': 'off',
      // `_name` marks what is unused on purpose (a rest-destructured key left out, an ignored arg).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  // CommonJS by nature (the swc register hook).
  { files: ['**/*.js'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          // Test-only imports across a boundary, each for a reason:
          allow: [
            // jest's globalSetup resolves modules as Node does, without the @im/* path mapping
            '../../db/src/config',
            // fixtures for tests, kept out of the contracts' public index
            '../../../libs/contracts/src/message-fixtures',
            // an e2e test of the operator's `npm run parked` command
            '../../../tools/parked',
            // an e2e test that rebuilds the messaging projection next to receipts' own
            '../../messaging/src/conversations/conversations.projection',
          ],
          // db's own int test uses the test env, and the test env reads db's default URLs.
          ignoredCircularDependencies: [['db', 'testing']],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
          ],
        },
      ],
    },
  },
);
