/**
 * Blob segment files on a full disk: an append that finds no space fails (its batch is refused
 * and retried by the journal), and once there is space again appends work and every blob written
 * before or after reads back whole. The disk is an 8 MiB ext4 image mounted through a loop device
 * (ext4, unlike tmpfs, holds O_DIRECT writes to its alignment, which the first append has to find),
 * so the test needs root on Linux; without it the test fails and says so, it is never skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobSegments } from '../../src/store/sqlite/blob-segments.js';
import { bytesOf } from '../support/bytes.js';

test('blob segments on a full disk: appends fail while there is no space, and work again with bytes intact once there is', async (t) => {
  assert.ok(process.platform === 'linux' && process.getuid?.() === 0,
    'this test mounts an 8 MiB ext4 image to fill: run it as root on Linux');
  const dir = mkdtempSync(join(tmpdir(), 'gearhq-segfull-'));
  const image = `${dir}.img`;
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  try {
    execFileSync('truncate', ['-s', '8M', image], { stdio: 'pipe' });
    execFileSync('mkfs.ext4', ['-q', '-F', image], { stdio: 'pipe' });
    execFileSync('mount', ['-o', 'loop', image, mnt], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    rmSync(image, { force: true });
    assert.fail(`cannot mount an 8 MiB ext4 image on ${mnt} (mkfs.ext4 and a loop device are needed): ${(e as Error).message}`);
  }
  const segments = new BlobSegments(join(mnt, 'blobs'));
  t.after(() => {
    segments.close();
    execFileSync('umount', [mnt], { stdio: 'pipe' });
    rmSync(dir, { recursive: true, force: true });
    rmSync(image, { force: true });
  });
  segments.open();
  // The disk is full before the first append: even the first write (which also finds where an
  // aligned buffer starts, for O_DIRECT) is refused.
  const filler = join(mnt, 'filler');
  assert.throws(() => writeFileSync(filler, Buffer.alloc(16 * 1024 * 1024)), /ENOSPC/);
  const first = bytesOf('first', 6000);
  await assert.rejects(segments.append([first], true), /ENOSPC/);
  await assert.rejects(segments.append([first], true), /ENOSPC/, 'still full: refused again');

  unlinkSync(filler);
  const one = await segments.append([first], true);
  const second = bytesOf('second', 300_000);
  const two = await segments.append([second], false);
  assert.equal(segments.bypassesPageCache, true, 'ext4 takes O_DIRECT writes');
  assert.ok(segments.read(one.refs[0]!)!.equals(first));
  assert.ok(segments.read(two.refs[0]!)!.equals(second));

  // Full again in the middle: the append fails, the blobs before it are still whole.
  assert.throws(() => writeFileSync(filler, Buffer.alloc(16 * 1024 * 1024)), /ENOSPC/);
  await assert.rejects(segments.append([bytesOf('third', 400_000)], true), /ENOSPC/);
  unlinkSync(filler);
  const three = await segments.append([bytesOf('third', 400_000)], true);
  assert.ok(segments.read(three.refs[0]!)!.equals(bytesOf('third', 400_000)));
  assert.ok(segments.read(one.refs[0]!)!.equals(first) && segments.read(two.refs[0]!)!.equals(second));
});
