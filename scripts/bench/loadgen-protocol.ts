/** Commands the bench runner sends its load generator processes, and their results. */
import type { DialectName } from './dialects.js';

export interface ConnectCommand {
  type: 'connect';
  group: string;
  dialect: DialectName;
  port: number;
  /** One room's copies on several servers: connections are spread round-robin over these (port is then unused). */
  ports?: number[];
  subscribers: number;
  /** How many of the subscribers decode every frame to take latencies. */
  samplers: number;
  publishers: number;
}

export interface StepCommand {
  type: 'step';
  group: string;
  /** Messages per second, spread round-robin over the group's publishers. */
  rate: number;
  durationMs: number;
  graceMs: number;
  textBytes: number;
}

export type LoadgenCommand =
  | ConnectCommand
  | StepCommand
  | { type: 'drain'; group: string; quietMs: number; maxMs: number }
  | { type: 'close'; group: string };

export interface StepResult {
  rate: number;
  subscribers: number;
  sent: number;
  sendMs: number;
  /** From the first send to the end of the wait for the last deliveries. */
  elapsedMs: number;
  expected: number;
  /** Deliveries counted by the end of the sending window. */
  deliveredInWindow: number;
  /** Deliveries counted after the grace period. */
  delivered: number;
  /** Subscribers whose connection closed during the step (e.g. cut off as slow readers). */
  closed: number;
  samples: number;
  /** Sampled deliveries that had not arrived by the end of the grace period. */
  missingSamples: number;
  /** Percentiles in ms; null where they fall among deliveries still missing after the grace period. */
  p50: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}
