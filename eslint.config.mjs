import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Library boundaries are enforced here, not by hope: the domain imports no framework,
// no database, no tfjs; apps may depend on libs, never the other way round.
export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.next/**', 'forge-data/**', 'forge-report/**', '.cache/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'apps/portal/next-env.d.ts'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // Pure domain: depends on nothing but itself and shared config-free helpers.
            { sourceTag: 'scope:domain', onlyDependOnLibsWithTags: ['scope:domain'], bannedExternalImports: ['@nestjs/*', 'pg', '@electric-sql/*', '@tensorflow/*', 'kafkajs', 'bullmq', 'ioredis', 'sharp', 'express', 'next', 'react'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:infra', onlyDependOnLibsWithTags: ['scope:infra', 'scope:shared', 'scope:domain'], bannedExternalImports: ['@nestjs/*', 'next', 'react'] },
            { sourceTag: 'scope:ml', onlyDependOnLibsWithTags: ['scope:ml', 'scope:shared'], bannedExternalImports: ['@nestjs/*', 'pg', '@electric-sql/*', 'kafkajs', 'bullmq', 'next', 'react'] },
            { sourceTag: 'scope:phantom', onlyDependOnLibsWithTags: ['scope:phantom', 'scope:shared'], bannedExternalImports: ['@nestjs/*', 'pg', '@electric-sql/*', '@tensorflow/*', 'onnxruntime-node', 'kafkajs', 'bullmq', 'ioredis', 'express', 'next', 'react'] },
            // The loop orchestrates everything below the apps: store, messaging, ML, phantom, metrics.
            { sourceTag: 'scope:loop', onlyDependOnLibsWithTags: ['scope:loop', 'scope:infra', 'scope:ml', 'scope:phantom', 'scope:shared', 'scope:domain'], bannedExternalImports: ['@nestjs/*', 'next', 'react'] },
            // Simulations measure domain policies (routing, consensus) with real models on phantoms: no store, no bus.
            { sourceTag: 'scope:simulation', onlyDependOnLibsWithTags: ['scope:simulation', 'scope:domain', 'scope:ml', 'scope:phantom', 'scope:shared'], bannedExternalImports: ['@nestjs/*', 'pg', '@electric-sql/*', 'kafkajs', 'bullmq', 'ioredis', 'express', 'next', 'react'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
          ],
        },
      ],
    },
  },
];
