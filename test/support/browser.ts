import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const executablePath = process.env.LIFEBOAT_TEST_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Debian's Chromium, headless, driven by playwright-core (which downloads no browser of its
 * own). Installed from Debian's packages when missing; .ci/run does the same up front.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(executablePath)) {
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  return chromium.launch({
    executablePath,
    headless: true,
    // Without these, Chromium reaches for Google's services, which this machine's network refuses.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
