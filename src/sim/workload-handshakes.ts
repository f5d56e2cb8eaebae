/** The driver of the handshakes workload: sequential short connections. */
import type { ConnectionEvent } from '../connection/types.js';
import type { EventHandle } from './engine.js';
import { percentiles, type HandshakesWorkload } from './workload.js';
import { FlowDriver, lost, StreamReceiver, StreamSender, type FlowConn, type FlowContext, type WorkloadOutcome } from './workload-driver.js';

interface Attempt {
  sender: StreamSender | undefined;
  response: StreamReceiver | undefined;
  request: StreamReceiver | undefined;
  responder: StreamSender | undefined;
  timer: EventHandle | undefined;
  /** A session ticket arrived on this connection (RFC 9001 §4.5). */
  session: boolean;
}

/** Sequential short connections: handshake, one small exchange, close. */
export class HandshakesDriver extends FlowDriver {
  private readonly attempts: Attempt[] = [];
  private completedCount = 0;
  private failed = 0;
  private readonly requestSize: number;
  private readonly responseSize: number;
  private readonly exchangeTimes: number[] = [];

  constructor(
    ctx: FlowContext,
    readonly w: HandshakesWorkload,
  ) {
    super(ctx, w);
    this.requestSize = w.requestSize ?? 32;
    this.responseSize = w.responseSize ?? 32;
  }

  start(): void {
    this.attempt();
  }

  private attempt(): void {
    const c = this.open();
    const a: Attempt = { sender: undefined, response: undefined, request: undefined, responder: undefined, timer: undefined, session: false };
    this.attempts[c.index] = a;
    a.timer = this.ctx.at(c.startedAt + (this.w.timeout ?? 60_000_000), () => {
      if (c.active) this.end(c, false);
    });
  }

  /** Ends attempt `c` and starts the next one (after the current event), or finishes. */
  private end(c: FlowConn, ok: boolean): void {
    c.active = false;
    const a = this.attempts[c.index]!;
    if (a.timer) a.timer.cancelled = true;
    if (ok) this.completedCount++;
    else this.failed++;
    const conn = c.client;
    if (conn.state !== 'closing' && conn.state !== 'draining' && conn.state !== 'closed') conn.close(this.ctx.now());
    if (this.completedCount + this.failed === this.w.count) return this.done();
    this.ctx.at(this.ctx.now(), () => this.attempt());
  }

  /** Notes that the attempt's connection received a session ticket (RFC 9001 §4.5). */
  protected override onClientEvent(c: FlowConn, e: ConnectionEvent): void {
    if (e.type === 'session') this.attempts[c.index]!.session = true;
  }

  /**
   * Sends the request (with `earlyData`, from the handshake on) and reads the response; once
   * it has arrived (and, with `awaitSession`, a ticket too) ends the attempt as completed and
   * starts the next. A connection that closes first fails the attempt.
   */
  protected override clientTurn(c: FlowConn): void {
    const conn = c.client;
    const a = this.attempts[c.index]!;
    const early = this.w.earlyData === true;
    if (conn.state === 'closing' || conn.state === 'draining' || conn.state === 'closed') return this.end(c, false);
    if (conn.state !== 'established' && !(early && conn.state === 'handshake')) return;
    if (!a.sender) {
      // Before the handshake completes this succeeds only with 0-RTT keys and remembered limits.
      const id = conn.openStream(true);
      if (id === undefined) return;
      a.sender = new StreamSender(id, this.requestSize, 2 * c.index + 1);
      a.response = new StreamReceiver(id, 2 * c.index + 2);
    }
    a.sender.pump(conn, early);
    const r = a.response!;
    if (!r.fin) {
      r.pump(conn);
      if (!r.intact) this.intact = false;
      if (!r.fin) return;
      if (r.bytes !== this.responseSize) this.intact = false;
      this.received(this.requestSize + r.bytes);
      this.exchangeTimes.push(this.ctx.now() - c.startedAt);
    }
    // Keep the connection until its ticket arrived, so the next one resumes (RFC 9001 §4.5).
    if (this.w.awaitSession === true && !a.session && c.index < this.w.count - 1) return;
    this.end(c, true);
  }

  /** Picks up the attempt's request stream when it opens at the server. */
  protected override onServerEvent(c: FlowConn, e: ConnectionEvent): void {
    const a = this.attempts[c.index]!;
    if (e.type === 'stream_opened' && a.sender && e.id === a.sender.id && !a.request) a.request = new StreamReceiver(e.id, 2 * c.index + 1);
  }

  /** Reads the request and, after its FIN, writes the response with FIN (with `earlyData`, as 0.5-RTT data). */
  protected override serverTurn(c: FlowConn): void {
    const a = this.attempts[c.index]!;
    const conn = c.server!;
    const r = a.request;
    const early = this.w.earlyData === true;
    if (!r || (conn.state !== 'established' && !(early && conn.state === 'handshake'))) return;
    r.pump(conn);
    if (!r.intact) this.intact = false;
    if (r.fin && !a.responder) {
      if (r.bytes !== this.requestSize) this.intact = false;
      a.responder = new StreamSender(r.id, this.responseSize, 2 * c.index + 2);
    }
    a.responder?.pump(conn, early);
  }

  /**
   * Completed if every attempt did; counts the packets both sides of every connection declared
   * lost; messages are the attempts, with the exchange time (connect to response) as latency.
   */
  outcome(): WorkloadOutcome {
    let retx = 0;
    for (const c of this.conns) retx += lost(c.client) + lost(c.server);
    const o = this.base(this.completedCount === this.w.count, retx, {
      expected: this.w.count,
      sent: this.conns.length,
      received: this.completedCount,
      rejected: 0,
      duplicates: 0,
      latency: percentiles(this.exchangeTimes),
    });
    return o;
  }
}
