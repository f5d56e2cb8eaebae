/**
 * The connection's event queue (what `Connection.pollEvent` hands the application), with the
 * bounded share of received DATAGRAMs in it (RFC 9221 §5), and the translation of stream events
 * (streams/manager.ts) into connection events, qlog'd as stream state changes.
 */
import type { QlogSink } from '../qlog/index.js';
import type { StreamEvent } from '../streams/types.js';
import type { StreamId } from '../streams/id.js';
import type { Instant } from '../util/time.js';
import type { ConnectionEvent } from './types.js';

export class EventQueue {
  /** Read from `head`; compacted once emptied, so no shift moves the array (DESIGN §4 rule 2). */
  private readonly events: ConnectionEvent[] = [];
  private head = 0;
  /** Received DATAGRAMs waiting in the queue. */
  datagrams = 0;

  push(e: ConnectionEvent): void {
    this.events.push(e);
  }

  poll(): ConnectionEvent | undefined {
    if (this.head >= this.events.length) return undefined;
    const e = this.events[this.head++]!;
    if (e.type === 'datagram') this.datagrams--;
    if (this.head === this.events.length) {
      this.events.length = 0;
      this.head = 0;
    }
    return e;
  }

  /**
   * Queues a received DATAGRAM (its bytes copied: the frame is a view into the received
   * datagram, whose buffer may be reused). With `max` of them waiting already (0: no bound), the
   * oldest waiting is dropped first (RFC 9221 §5: "an endpoint MAY drop"); true when one was.
   */
  pushDatagram(data: Uint8Array, max: number): boolean {
    let dropped = false;
    if (max > 0 && this.datagrams >= max) {
      for (let i = this.head; i < this.events.length; i++) {
        if (this.events[i]!.type !== 'datagram') continue;
        this.events.splice(i, 1);
        this.datagrams--;
        dropped = true;
        break;
      }
    }
    this.events.push({ type: 'datagram', data: data.slice() });
    this.datagrams++;
    return dropped;
  }
}

type StreamState = 'receive' | 'reset_received' | 'reset_sent' | 'data_received';

/** The connection event of a stream event, and its qlog stream_state_updated (if any). */
export function streamEventToConnection(e: StreamEvent, qlog: QlogSink | undefined, now: Instant): ConnectionEvent {
  if (qlog) {
    if (e.type === 'opened') logStream(qlog, now, e.id, 'receiving', 'receive');
    else if (e.type === 'reset') logStream(qlog, now, e.id, 'receiving', 'reset_received');
    else if (e.type === 'stop_sending') logStream(qlog, now, e.id, 'sending', 'reset_sent');
    else if (e.type === 'finished') logStream(qlog, now, e.id, 'sending', 'data_received');
  }
  switch (e.type) {
    case 'opened':
      return { type: 'stream_opened', id: e.id };
    case 'readable':
      return { type: 'stream_readable', id: e.id };
    case 'writable':
      return { type: 'stream_writable', id: e.id };
    case 'reset':
      return { type: 'stream_reset', id: e.id, code: e.code };
    case 'stop_sending':
      return { type: 'stream_stop_sending', id: e.id, code: e.code };
    case 'finished':
      return { type: 'stream_finished', id: e.id };
    case 'available':
      return { type: 'streams_available', bidi: e.bidi };
  }
}

function logStream(qlog: QlogSink, now: Instant, id: StreamId, side: 'sending' | 'receiving', state: StreamState): void {
  qlog.event(now, {
    name: 'quic:stream_state_updated',
    data: { stream_id: id, stream_type: id % 4 < 2 ? 'bidirectional' : 'unidirectional', new: state, stream_side: side },
  });
}
