#!/usr/bin/env node
// Entry point of one node: `node runtime/start.js --node <id> [--config <path>]`.
// TypeScript sources are loaded through tsx's loader, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
const { runNode } = await import('./node.ts');
await runNode(process.argv.slice(2), process.env);
