/**
 * Room-creation timings of several servers, for tests that show an outside
 * service costs creation nothing: rounds are interleaved so load on the machine
 * falls on every server alike, and each create waits for a short pause first so
 * the idle worker the previous create used has been replaced (otherwise a create
 * can land on a booting thread and the numbers measure that instead).
 */
/** Anything that creates a room over the public API: an in-process test server or a process. */
export interface RoomCreator {
  createRoom(name: string): Promise<unknown>;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The median create time of each server, in milliseconds. */
export async function medianCreateMs(servers: RoomCreator[], prefix: string, rounds = 7): Promise<number[]> {
  const times = servers.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (const [i, server] of servers.entries()) {
      await new Promise((r) => setTimeout(r, 250));
      const start = performance.now();
      await server.createRoom(`${prefix}${round}`);
      times[i]!.push(performance.now() - start);
    }
  }
  return times.map(median);
}
