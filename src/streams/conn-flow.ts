/**
 * Connection-level data flow control (RFC 9000 §4.1): the credit the peer grants us
 * (initial_max_data, MAX_DATA), the window we grant the peer (with auto-tuning), and the
 * MAX_DATA / DATA_BLOCKED frames with their recovery rules (§13.3).
 *
 * Receiving: each stream reports only the bytes that raised its highest offset (duplicates are
 * free), and bytes that leave a stream — read by the app, discarded after RESET_STREAM or our
 * STOP_SENDING — are credited back as consumed.
 */
import { RecvWindow, SendCredit } from '../flow/credit.js';
import type { Duration, Instant } from '../util/time.js';
import type { SendStream } from './send-stream.js';
import type { ControlFrame, StreamToken } from './types.js';

export class ConnectionFlow {
  /** What the peer allows us to send, summed over streams. */
  readonly send = new SendCredit(0);
  /** What we allow the peer to send, summed over streams. */
  readonly recv: RecvWindow;
  private maxDataPending = false;
  private blockedWanted = false;
  /** Streams with new data waiting for connection credit. */
  private readonly blocked: SendStream[] = [];

  constructor(initialMaxData: number, maxWindow: number) {
    this.recv = new RecvWindow({ initial: initialMaxData, max: maxWindow });
  }

  /** `fresh` new bytes arrived on some stream; FLOW_CONTROL_ERROR beyond our limit (§4.1). */
  onReceive(fresh: number, frameType: number): void {
    if (fresh > 0) this.recv.onReceive(this.recv.received + fresh, frameType);
  }

  /** A stream with new data found no connection credit: remember it and want DATA_BLOCKED. */
  noteBlocked(snd: SendStream): void {
    if (snd.connBlocked) return;
    snd.connBlocked = true;
    this.blocked.push(snd);
    this.blockedWanted = true;
  }

  /** MAX_DATA (or initial_max_data): raise the credit and hand blocked streams back to `schedule`. */
  raise(maximum: number, schedule: (s: SendStream) => void): void {
    if (!this.send.raise(maximum)) return;
    for (const snd of this.blocked) {
      snd.connBlocked = false;
      schedule(snd);
    }
    this.blocked.length = 0;
  }

  /** Appends a MAX_DATA frame when due (§4.2: half the window consumed, or the latest was lost). */
  pushMaxData(now: Instant, smoothedRtt: Duration, out: ControlFrame[]): void {
    if (this.recv.shouldUpdate()) {
      this.recv.nextLimit(now, smoothedRtt);
      this.maxDataPending = true;
    }
    if (this.maxDataPending) {
      const maximum = this.recv.limit;
      out.push({ frame: { kind: 'max_data', maximum }, token: { kind: 'max_data', maximum } });
    }
  }

  /** Appends a DATA_BLOCKED frame when due (§4.1 "SHOULD send"; once per limit). */
  pushDataBlocked(out: ControlFrame[]): void {
    if (!this.dataBlockedDue) return;
    const limit = this.send.limit;
    out.push({ frame: { kind: 'data_blocked', limit }, token: { kind: 'data_blocked', limit } });
  }

  get hasPendingControl(): boolean {
    return this.maxDataPending || this.recv.shouldUpdate() || this.dataBlockedDue;
  }

  onControlSent(token: Extract<StreamToken, { kind: 'max_data' | 'data_blocked' }>): void {
    if (token.kind === 'max_data') {
      this.maxDataPending = false;
    } else {
      this.send.markBlockedSent();
      this.blockedWanted = false;
    }
  }

  /** §13.3: resend MAX_DATA if the lost one was the latest; DATA_BLOCKED while still blocked at its limit. */
  onLost(token: Extract<StreamToken, { kind: 'max_data' | 'data_blocked' }>): void {
    if (token.kind === 'max_data') {
      if (token.maximum === undefined || token.maximum >= this.recv.limit) this.maxDataPending = true;
    } else {
      this.send.onBlockedLost(token.limit);
      this.blockedWanted = true;
    }
  }

  private get dataBlockedDue(): boolean {
    return this.blockedWanted && this.blocked.length > 0 && this.send.shouldSendBlocked;
  }
}
