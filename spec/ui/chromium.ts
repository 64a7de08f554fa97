// Headless Chromium for the browser specs: Debian's `chromium` driven by playwright-core (the
// playwright browser download cannot run here). Each launch gets a fresh profile directory and
// the flags that keep Chromium from reaching the internet. When Chromium is absent the specs do
// not register their tests; they print why and how to install it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM_INSTALL = 'apt-get update -qq && apt-get install -y -qq chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Path of the `chromium` executable, or null when it is not installed. */
export function findChromium(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : null;
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'syncpay-chromium-'));
  // playwright refuses --user-data-dir among args: a persistent context is how a fresh one is given.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1000 },
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where specs put screenshots (ignored by git, kept by CI as artifacts). */
export function artifactPath(name: string): string {
  const dir = resolve('spec', '.artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
