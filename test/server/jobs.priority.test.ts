/**
 * Assignment order (PROTOCOL.md §3.8; §6.3 item 5): HIGH > NORMAL > LOW and FIFO inside a level,
 * for one function on both servers; across functions Gearman HQ applies priority globally
 * (gearmand 2.0.0 order) where gearmand 1.1.20 walks functions newest registration first.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, PacketType, grab, grabNothing, servers, submit, worker } from './harness.js';

for (const kind of KINDS) {
  describe(`${kind}: priority`, { timeout: 20000 }, () => {
    const { setup } = servers(kind);

    it('drains one function HIGH, NORMAL, LOW, first come first served within a level', async (t) => {
      const s = await setup(t);
      const f = s.fn();
      const c = await s.connect();
      const byHandle = new Map<string, string>();
      const jobs: [number, string][] = [
        [PacketType.SUBMIT_JOB_LOW_BG, 'low1'],
        [PacketType.SUBMIT_JOB_BG, 'norm1'],
        [PacketType.SUBMIT_JOB_HIGH_BG, 'high1'],
        [PacketType.SUBMIT_JOB_LOW, 'low2'],
        [PacketType.SUBMIT_JOB, 'norm2'],
        [PacketType.SUBMIT_JOB_HIGH, 'high2'],
      ];
      for (const [type, name] of jobs) byHandle.set(await submit(c, type, f, '', name), name);
      const w = await worker(s, [f]);
      const order: string[] = [];
      for (let i = 0; i < jobs.length; i++) {
        const [h, , , workload] = await grab(w);
        assert.equal(byHandle.get(h!), workload);
        order.push(workload!);
      }
      assert.deepEqual(order, ['high1', 'high2', 'norm1', 'norm2', 'low1', 'low2']);
      await grabNothing(w);
    });

    it('with -R serves a worker\'s functions in rotation', async (t) => {
      const s = await setup(t, { args: ['-R'] });
      const fns = [s.fn('r'), s.fn('r'), s.fn('r')];
      const c = await s.connect();
      // All jobs of one function first, so neither FIFO nor registration order alone rotates.
      for (const f of fns) {
        await submit(c, PacketType.SUBMIT_JOB_BG, f, '', `${f}-1`);
        await submit(c, PacketType.SUBMIT_JOB_BG, f, '', `${f}-2`);
      }
      const w = await worker(s, fns);
      const served: string[] = [];
      for (let i = 0; i < 6; i++) served.push((await grab(w))[1]!);
      assert.deepEqual([...served.slice(0, 3)].sort(), [...fns].sort(), `first round: ${served.join(' ')}`);
      assert.deepEqual(served.slice(3), served.slice(0, 3), `second round repeats it: ${served.join(' ')}`);
    });

    it('difference: priority is global across a worker\'s functions (gearmand 1.1.20: newest registration first)',
      async (t) => {
        const s = await setup(t);
        const [fa, fb, fc] = [s.fn('fa'), s.fn('fb'), s.fn('fc')];
        const c = await s.connect();
        await submit(c, PacketType.SUBMIT_JOB_BG, fc, '', 'fc-normal');
        await submit(c, PacketType.SUBMIT_JOB_BG, fa, '', 'fa-normal');
        await submit(c, PacketType.SUBMIT_JOB_LOW_BG, fa, '', 'fa-low');
        await submit(c, PacketType.SUBMIT_JOB_HIGH_BG, fb, '', 'fb-high');
        const w = await worker(s, [fa, fb, fc]);
        const order: string[] = [];
        for (let i = 0; i < 4; i++) order.push((await grab(w))[3]!);
        if (kind === 'gearhq') {
          assert.deepEqual(order, ['fb-high', 'fc-normal', 'fa-normal', 'fa-low']);
        } else {
          assert.deepEqual(order, ['fc-normal', 'fb-high', 'fa-normal', 'fa-low']);
        }
      });
  });
}
