/**
 * A client that pipelines requests but never reads its replies must not starve other connections
 * or make the server buffer without bound: the server has to stop reading from it once its replies
 * back up (backpressure). Memory is checked for Gearman HQ only (VmRSS from /proc).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { requestPacket } from '../support/raw-client.js';
import {
  KINDS, PacketType, grab, pause, rssKiB, servers, submit, sync, worker,
} from './harness.js';

const MiB = 1024 * 1024;

for (const kind of KINDS) {
  describe(`${kind}: slow reader`, { timeout: 30000 }, () => {
    const { setup } = servers(kind);

    it('difference: keeps serving others and bounds its memory while a client never reads its echoes (gearmand buffers them all)', async (t) => {
      const s = await setup(t, { fresh: true });
      const other = await s.connect();
      await sync(other);
      const baseline = rssKiB(s.server.pid);

      const hog = connect(s.port, '127.0.0.1');
      s.closeLater(hog);
      await once(hog, 'connect');
      hog.pause(); // never read: replies pile up in the kernel, then in the server
      hog.on('error', () => { /* the server may drop us */ });

      const packet = requestPacket(PacketType.ECHO_REQ, [Buffer.alloc(MiB, 'e')]);
      // Enough to show gearmand buffering everything; far beyond Gearman HQ's bound.
      const cap = (kind === 'gearhq' ? 256 : 64) * MiB;
      const deadline = Date.now() + 6000;
      let sent = 0;
      let peak = baseline;
      let stalled = false;
      while (sent < cap && Date.now() < deadline && !hog.destroyed) {
        sent += packet.length;
        if (!hog.write(packet)) {
          const drained = await Promise.race([once(hog, 'drain').then(() => true), pause(1000).then(() => false)]);
          if (!drained) {
            stalled = true;
            break;
          }
        }
        peak = Math.max(peak, rssKiB(s.server.pid));
      }

      // While the hog's backlog is stuck, the server still answers everyone else promptly.
      const started = Date.now();
      await sync(other);
      const f = s.fn();
      const h = await submit(other, PacketType.SUBMIT_JOB_BG, f, '', 'x');
      const w = await worker(s, [f]);
      assert.equal((await grab(w))[0], h);
      assert.ok(Date.now() - started < 2000, `other connections were served in ${Date.now() - started} ms`);

      if (kind === 'gearhq') {
        peak = Math.max(peak, rssKiB(s.server.pid));
        const grownMiB = (peak - baseline) / 1024;
        t.diagnostic(`pushed ${Math.round(sent / MiB)} MiB, stalled=${stalled}, RSS grew ${grownMiB.toFixed(1)} MiB`);
        assert.ok(stalled || hog.destroyed, `the server kept reading all ${Math.round(sent / MiB)} MiB`);
        assert.ok(grownMiB < 96, `server RSS grew by ${grownMiB.toFixed(1)} MiB`);
      } else {
        const grownMiB = (rssKiB(s.server.pid) - baseline) / 1024;
        t.diagnostic(`gearmand: pushed ${Math.round(sent / MiB)} MiB, stalled=${stalled}, RSS grew ${grownMiB.toFixed(1)} MiB`);
        assert.ok(!stalled && grownMiB > 40, 'gearmand reads on and keeps every reply in memory');
      }
    });
  });
}
