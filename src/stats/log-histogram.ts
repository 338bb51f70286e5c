/**
 * An HDR-style histogram of durations in milliseconds: logarithmic buckets of ratio GAMMA, so any
 * percentile it reports is within RELATIVE_ERROR of a value that was really observed at that rank
 * (values below 1 ms share one bucket and report 0). Recording is O(1) with no per-observation
 * storage; histograms of the same kind merge by adding counts, which is how sliding windows are
 * summed from time slots.
 *
 * Counts live in a typed array covering only the span of buckets seen so far (grown on demand),
 * so a function whose runtimes stay within two decades costs a few hundred bytes per histogram.
 */

/** Bucket ratio: bucket i ≥ 1 holds [GAMMA^(i-1), GAMMA^i) ms. */
const GAMMA = 1.04;
const LOG_GAMMA = Math.log(GAMMA);
/** Worst relative error of a reported value against the observed one: (γ−1)/(γ+1) ≈ 1.96%. */
export const RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1);
/** Durations above this (≈ 115 days) are counted in the last bucket. */
const MAX_MS = 1e10;
const MAX_INDEX = 1 + Math.floor(Math.log(MAX_MS) / LOG_GAMMA);

function bucketOf(ms: number): number {
  if (!(ms >= 1)) return 0; // also NaN and negatives
  if (ms >= MAX_MS) return MAX_INDEX;
  return 1 + Math.floor(Math.log(ms) / LOG_GAMMA);
}

/** The value reported for a bucket: the point of least relative error over its range. */
function valueOf(index: number): number {
  if (index === 0) return 0;
  const low = Math.pow(GAMMA, index - 1);
  return (2 * low * GAMMA) / (1 + GAMMA);
}

export class LogHistogram {
  /** counts[i] is bucket `offset + i`. */
  private counts: Uint32Array | null = null;
  private offset = 0;
  count = 0;

  record(ms: number): void {
    const b = bucketOf(ms);
    let c = this.counts;
    if (c === null || b < this.offset || b >= this.offset + c.length) c = this.cover(b, b);
    c[b - this.offset]!++;
    this.count++;
  }

  /** Adds another histogram's counts to this one. */
  merge(other: LogHistogram): void {
    const oc = other.counts;
    if (oc === null || other.count === 0) return;
    const c = this.cover(other.offset, other.offset + oc.length - 1);
    const shift = other.offset - this.offset;
    for (let i = 0; i < oc.length; i++) c[i + shift]! += oc[i]!;
    this.count += other.count;
  }

  reset(): void {
    if (this.counts !== null) this.counts.fill(0);
    this.count = 0;
  }

  /** The value at quantile q (0 < q ≤ 1), in ms; null when empty. */
  quantile(q: number): number | null {
    const c = this.counts;
    if (c === null || this.count === 0) return null;
    // The rank of the q-th observation (1-based), as in the nearest-rank definition.
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < c.length; i++) {
      seen += c[i]!;
      if (seen >= rank) return valueOf(i + this.offset);
    }
    return valueOf(this.offset + c.length - 1);
  }

  /** Makes the counts array cover buckets lo..hi; returns it. */
  private cover(lo: number, hi: number): Uint32Array {
    const c = this.counts;
    if (c === null) {
      // Start with some room on both sides: neighbouring values are likely next.
      const from = Math.max(0, lo - 16);
      this.counts = new Uint32Array(Math.min(MAX_INDEX + 1, hi + 17) - from);
      this.offset = from;
      return this.counts;
    }
    const end = this.offset + c.length - 1;
    if (lo >= this.offset && hi <= end) return c;
    // Grow by at least half again, so repeated growth stays amortised O(1).
    const extra = c.length >> 1;
    const from = lo < this.offset ? Math.max(0, Math.min(lo, this.offset - extra)) : this.offset;
    const to = hi > end ? Math.min(MAX_INDEX, Math.max(hi, end + extra)) : end;
    const grown = new Uint32Array(to - from + 1);
    grown.set(c, this.offset - from);
    this.counts = grown;
    this.offset = from;
    return grown;
  }
}
