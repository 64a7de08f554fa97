#!/usr/bin/env node
// The `syncpay` command (the package's bin). Like runtime/start.js, it registers tsx's loader
// and imports the TypeScript implementation, so there is no build step between an edit and a run.
import { register } from 'tsx/esm/api';

// `syncpay events --follow | head` closes the pipe early: that ends the command, it is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

register();
const { runCli, systemIo } = await import('../cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), systemIo());
