// `node --import tsx runtime/config-check.ts --node <id> [flags]`: load and check a configuration
// exactly as a node does at boot, without starting anything. Prints the redacted configuration
// (each value with its source) on stdout; a bad configuration prints one line on stderr, exit 2.
// `config-check.ts --keys` lists every key with its bounds, default and environment variable.
import { ConfigError, checkSecurity, configWarnings, describeKeys, loadConfig, redactedConfig } from './config.ts';

const EXIT_CONFIG = 2;
const argv = process.argv.slice(2);

if (argv.length === 1 && argv[0] === '--keys') {
  process.stdout.write(`${describeKeys().join('\n')}\n`);
} else {
  try {
    const loaded = loadConfig({ argv, env: process.env, cwd: process.cwd() });
    checkSecurity(loaded);
    for (const warning of configWarnings(loaded.config)) process.stderr.write(`${warning}\n`);
    process.stdout.write(`${JSON.stringify(redactedConfig(loaded), null, 2)}\n`);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exitCode = EXIT_CONFIG;
  }
}
