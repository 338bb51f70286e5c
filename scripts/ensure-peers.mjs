#!/usr/bin/env node
// Makes sure the Debian peer programs the test suite drives are installed.
// As root it installs them with apt-get; otherwise it fails with the exact command to run.
// Never a silent skip: a missing peer means the suite cannot prove compatibility.
import { execFileSync, spawnSync } from 'node:child_process';

const PACKAGES = ['gearman-job-server', 'gearman-tools', 'php-cli', 'php-gearman',
  'libgearman-client-perl', 'libgearman-dev', 'gcc',
  // The dashboard's end-to-end tests drive Debian's Chromium through playwright-core.
  'chromium'];

function missing() {
  return PACKAGES.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

const need = missing();
if (need.length === 0) process.exit(0);
const cmd = `apt-get update && apt-get install -y ${need.join(' ')}`;
if (typeof process.getuid === 'function' && process.getuid() === 0) {
  console.error(`ensure-peers: installing ${need.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-q', ...need], { stdio: 'inherit', env });
  const still = missing();
  if (still.length) {
    console.error(`ensure-peers: still missing after install: ${still.join(' ')}`);
    process.exit(1);
  }
} else {
  console.error(`ensure-peers: the test suite needs Debian packages that are not installed: ${need.join(' ')}\n` +
    `Install them with:\n  sudo ${cmd}`);
  process.exit(1);
}
