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
  /** The 127.0.0.x the group's connections come from (default: the kernel's choice, 127.0.0.1). */
  sourceAddress?: string;
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

/** What a group has counted, for a step whose messages another process publishes. */
export interface Tally {
  count: number;
  closed: number;
  subscribers: number;
  samplers: number;
  /** Sampled latencies (ms), when asked for. */
  latencies?: number[];
}

/** Opens `clients` chatserver connections that join and keep the last message id they saw. */
export interface StormJoinCommand {
  type: 'storm-join';
  group: string;
  port: number;
  clients: number;
}

/** Drops every connection of the group at once and rejoins each with `since`, as the SDK does. */
export interface StormRejoinCommand {
  type: 'storm-rejoin';
  group: string;
  port: number;
  since: number;
  /** Clients not back by then are counted as not recovered. */
  timeoutMs: number;
}

export interface StormState {
  joined: number;
  /** The lowest and highest last message id among the joined clients. */
  minLastId: number;
  maxLastId: number;
}

export interface StormResult {
  clients: number;
  /** Per client, ms from the drop to a welcome with `recovered:true` and a complete history; failed ones left out. */
  recoveredMs: number[];
  /** Upgrades answered 503 (with Retry-After), and attempts that failed otherwise (reset, timeout). */
  refused503: number;
  otherFailures: number;
  /** Welcomes with recovered:false, or whose history was not every id after `since`, in order. */
  wrongHistory: number;
  notBack: number;
  /** The first and last admitted upgrade, ms after the drop: the join rate the room sustained. */
  firstAdmittedMs: number | null;
  lastAdmittedMs: number | null;
}

export type LoadgenCommand =
  | ConnectCommand
  | StepCommand
  | { type: 'drain'; group: string; quietMs: number; maxMs: number }
  | { type: 'close'; group: string }
  | { type: 'tally'; group: string; latencies: boolean; reset: boolean }
  | StormJoinCommand
  | { type: 'storm-state'; group: string }
  | StormRejoinCommand;

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
