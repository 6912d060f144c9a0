/**
 * What a room counts for the metrics (GET /api/v1/metrics): plain integers the
 * hot path increments, read by the master with the room's stats. They run from
 * the worker's start; a re-created room starts again from zero, which Prometheus
 * reads as a counter reset. Nothing here allocates per message or per delivery.
 */
import type { FrameErrorCode } from '../protocol/frames.js';
import type { RoomCounterValues } from '../protocol/room-messages.js';

export class RoomCounters implements RoomCounterValues {
  /** Chat messages accepted and sent to the room. */
  accepted = 0;
  /** Frames refused with an error frame, by the error's code (a fixed set). */
  readonly refused: Partial<Record<FrameErrorCode, number>> = {};
  /** Frames queued for a client (one per client per broadcast frame). */
  deliveries = 0;
  /** Connections cut off because they read too slowly. */
  slowReaders = 0;
  /** Connections accepted since the room opened. */
  connections = 0;

  refuse(code: FrameErrorCode): void {
    this.refused[code] = (this.refused[code] ?? 0) + 1;
  }

  snapshot(): RoomCounterValues {
    return {
      accepted: this.accepted,
      refused: { ...this.refused },
      deliveries: this.deliveries,
      slowReaders: this.slowReaders,
      connections: this.connections,
    };
  }
}
