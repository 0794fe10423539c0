#!/usr/bin/env node
// The published entry point: the CLI is compiled to dist/ by `npm install` (the prepare script).
import { runCli } from '../dist/serve/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2));
