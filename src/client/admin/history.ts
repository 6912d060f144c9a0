/**
 * What the console remembers between its polls: a series of samples for each
 * sparkline (the last 15 minutes, kept only in the page) and, per room, enough
 * of its message count to say how many messages a minute it takes.
 */
export const HISTORY_MS = 15 * 60_000;
const RATE_WINDOW_MS = 60_000;

interface Sample {
  at: number;
  value: number;
}

/** Samples of one figure, oldest first, none older than HISTORY_MS before the newest. */
export class Series {
  private readonly samples: Sample[] = [];

  push(at: number, value: number): void {
    this.samples.push({ at, value });
    while (this.samples.length > 0 && this.samples[0]!.at < at - HISTORY_MS) this.samples.shift();
  }

  values(): readonly Sample[] {
    return this.samples;
  }

  latest(): number | undefined {
    return this.samples.at(-1)?.value;
  }

  max(): number {
    return this.samples.reduce((m, s) => Math.max(m, s.value), 0);
  }
}

/** Messages a minute for each room, from the rise of its message count over the last minute of polls. */
export class MessageRates {
  private readonly counts = new Map<string, Sample[]>();

  update(at: number, rooms: ReadonlyArray<{ name: string; messages: number }>): void {
    const open = new Set(rooms.map((r) => r.name));
    for (const name of this.counts.keys()) if (!open.has(name)) this.counts.delete(name);
    for (const { name, messages } of rooms) {
      const samples = this.counts.get(name) ?? [];
      samples.push({ at, value: messages });
      // Keep the newest sample at least a minute old as the base of the rate.
      while (samples.length > 2 && samples[1]!.at <= at - RATE_WINDOW_MS) samples.shift();
      this.counts.set(name, samples);
    }
  }

  /** null until two polls have seen the room. */
  perMinute(name: string): number | null {
    const samples = this.counts.get(name);
    if (samples === undefined || samples.length < 2) return null;
    const first = samples[0]!;
    const last = samples.at(-1)!;
    const ms = last.at - first.at;
    if (ms <= 0) return null;
    return Math.max(0, ((last.value - first.value) * 60_000) / ms);
  }
}
