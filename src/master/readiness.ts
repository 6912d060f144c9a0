/**
 * Whether this server should be sent new rooms: a list of named checks that the
 * parts of the master register (the store, whether it is accepting rooms, the
 * cluster engine when there is one), run together by GET /api/v1/health/ready.
 *
 * Every check runs under one deadline: a probe that hangs is the failure a
 * readiness probe exists to catch (a database that accepts connections and never
 * answers), so a check with no answer in time counts as failing, named, rather
 * than holding the probe until the prober gives up. A check that throws fails
 * with the error's message.
 */

export interface CheckResult {
  ok: boolean;
  /** Why it failed (or what it found), for the operator reading the probe's answer. */
  detail?: string;
}

export type ReadinessCheck = () => Promise<CheckResult> | CheckResult;

export interface CheckReport extends CheckResult {
  name: string;
}

export interface ReadinessReport {
  ok: boolean;
  /** In the order the checks were added. */
  checks: CheckReport[];
}

/** How long a check may take by default before it counts as failing. */
export const READINESS_TIMEOUT_MS = 1_000;

export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  constructor(private readonly defaultTimeoutMs = READINESS_TIMEOUT_MS) {}

  /** Registers a check; its name is what a failing probe reports, so it must be unique. */
  add(name: string, check: ReadinessCheck): void {
    if (!/^[a-z][a-z0-9-]*$/.test(name))
      throw new Error(`A readiness check's name must be lower-case letters, digits and dashes: "${name}"`);
    if (this.checks.has(name)) throw new Error(`A readiness check named "${name}" is already registered`);
    this.checks.set(name, check);
  }

  /** Runs every check at once; ok when all of them answered ok within `timeoutMs`. */
  async report(timeoutMs = this.defaultTimeoutMs): Promise<ReadinessReport> {
    const checks = await Promise.all([...this.checks].map(([name, check]) => run(name, check, timeoutMs)));
    return { ok: checks.every((c) => c.ok), checks };
  }
}

async function run(name: string, check: ReadinessCheck, timeoutMs: number): Promise<CheckReport> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer in ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    // A check that throws synchronously is a failing check too, not a failed probe.
    const answer = Promise.resolve().then(check);
    const result = await Promise.race([answer, late]);
    return { name, ok: result.ok === true, ...(result.detail === undefined ? {} : { detail: result.detail }) };
  } catch (error) {
    return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
