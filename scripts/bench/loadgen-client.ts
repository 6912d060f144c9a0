/** The bench runner's handle on one load generator process (a forked child speaking loadgen-protocol). */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {
  ConnectCommand,
  LoadgenCommand,
  StepCommand,
  StepResult,
  StormJoinCommand,
  StormRejoinCommand,
  StormResult,
  StormState,
  Tally,
} from './loadgen-protocol.js';

const script = fileURLToPath(new URL('./loadgen.js', import.meta.url));

export class Loadgen {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor() {
    this.child = fork(script, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const waiter = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) waiter?.resolve(m.result);
      else waiter?.reject(new Error(m.error));
    });
    this.child.on('exit', (code) => {
      for (const w of this.pending.values()) w.reject(new Error(`load generator exited (${code})`));
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  private call<T>(cmd: LoadgenCommand, timeoutMs = 120_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`load generator: ${cmd.type} timed out`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ id, cmd });
    });
  }

  connect(cmd: Omit<ConnectCommand, 'type'>): Promise<{ subscribers: number; publishers: number }> {
    // Thousands of joins per process take a while on a busy machine.
    return this.call({ type: 'connect', ...cmd }, 600_000);
  }

  step(cmd: Omit<StepCommand, 'type'>): Promise<StepResult> {
    return this.call({ type: 'step', ...cmd });
  }

  drain(group: string, quietMs = 300, maxMs = 5_000): Promise<{ drainedMs: number }> {
    return this.call({ type: 'drain', group, quietMs, maxMs });
  }

  /** What the group counted since the last reset (and its latencies when asked); `reset` starts the count again. */
  tally(group: string, options: { latencies?: boolean; reset?: boolean } = {}): Promise<Tally> {
    return this.call({ type: 'tally', group, latencies: options.latencies ?? false, reset: options.reset ?? false });
  }

  stormJoin(cmd: Omit<StormJoinCommand, 'type'>): Promise<StormState> {
    return this.call({ type: 'storm-join', ...cmd }, 300_000);
  }

  stormState(group: string): Promise<StormState> {
    return this.call({ type: 'storm-state', group });
  }

  stormRejoin(cmd: Omit<StormRejoinCommand, 'type'>): Promise<StormResult> {
    return this.call({ type: 'storm-rejoin', ...cmd }, cmd.timeoutMs + 30_000);
  }

  close(group: string): Promise<unknown> {
    return this.call({ type: 'close', group });
  }

  stop(): void {
    if (this.child.connected) this.child.disconnect();
    setTimeout(() => this.child.kill('SIGKILL'), 2_000).unref();
  }
}
