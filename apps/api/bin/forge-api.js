#!/usr/bin/env node
// Starts the HTTP API: compiles the TypeScript sources on the fly (swc keeps decorator metadata).
const path = require('node:path');
process.env.SWC_NODE_PROJECT ??= path.resolve(__dirname, '../../../tsconfig.base.json');
require('@swc-node/register');
require('../src/main.ts');
