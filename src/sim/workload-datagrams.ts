/** The driver of the datagrams workload (RFC 9221 DATAGRAM frames). */
import type { Connection } from '../connection/connection.js';
import type { ConnectionEvent } from '../connection/types.js';
import { checkPayload, messagePayload, percentiles, type DatagramsWorkload } from './workload.js';
import { FlowDriver, lost, Releaser, type FlowConn, type FlowContext, type WorkloadOutcome } from './workload-driver.js';

/** A flow of DATAGRAM frames, each carrying its index. */
export class DatagramsDriver extends FlowDriver {
  private readonly download: boolean;
  private readonly releaser: Releaser;
  private sent = 0;
  private rejected = 0;
  private receivedCount = 0;
  private duplicates = 0;
  private readonly sentAt: number[] = [];
  private readonly seen: Uint8Array;
  private readonly latencies: number[] = [];
  private lingering = false;

  constructor(
    ctx: FlowContext,
    readonly w: DatagramsWorkload,
  ) {
    super(ctx, w);
    this.download = (w.direction ?? 'download') === 'download';
    this.releaser = new Releaser(ctx, w.count, w.interval ?? 0);
    this.seen = new Uint8Array(w.count);
  }

  start(): void {
    this.open();
  }

  /**
   * Download: checks each datagram that arrives (index, size, payload), counting duplicates and
   * recording its latency; finishes once all have arrived.
   */
  protected override onClientEvent(_c: FlowConn, e: ConnectionEvent): void {
    if (this.download) this.onDatagram(e);
  }

  /** Upload: checks and counts the datagrams arriving at the server, as `onClientEvent` does for a download. */
  protected override onServerEvent(_c: FlowConn, e: ConnectionEvent): void {
    if (!this.download) this.onDatagram(e);
  }

  /**
   * Upload: once established, sends the released datagrams (counting the ones the connection
   * refuses), and after the last one finishes the flow `linger` later.
   */
  protected override clientTurn(c: FlowConn): void {
    if (!this.download) this.send(c.client);
  }

  /** Download: sends the released datagrams from the server, as `clientTurn` does for an upload. */
  protected override serverTurn(c: FlowConn): void {
    if (this.download) this.send(c.server!);
  }

  private send(conn: Connection): void {
    if (conn.state !== 'established') return;
    this.releaser.begin();
    while (this.sent < this.releaser.released) {
      const i = this.sent++;
      const data = messagePayload(i + 1, 0, this.w.size);
      new DataView(data.buffer, data.byteOffset, data.byteLength).setUint32(0, i);
      this.sentAt[i] = this.ctx.now();
      if (!conn.sendDatagram(data)) this.rejected++;
    }
    if (this.sent === this.w.count && !this.lingering) {
      this.lingering = true;
      this.ctx.at(this.ctx.now() + (this.w.linger ?? 1_000_000), () => this.done());
    }
  }

  private onDatagram(e: ConnectionEvent): void {
    if (e.type !== 'datagram') return;
    const d = e.data;
    if (d.length < 4) return void (this.intact = false);
    const i = new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(0);
    if (i >= this.w.count || this.sentAt[i] === undefined || d.length !== this.w.size || !checkPayload(i + 1, 0, d, 4)) return void (this.intact = false);
    if (this.seen[i]) return void this.duplicates++;
    this.seen[i] = 1;
    this.receivedCount++;
    this.latencies.push(this.ctx.now() - this.sentAt[i]!);
    this.received(d.length);
    if (this.receivedCount === this.w.count) this.done();
  }

  /**
   * Completed if every datagram arrived; counts the packets the sender declared lost; messages
   * are the datagrams, with rejections, duplicates and latency.
   */
  outcome(): WorkloadOutcome {
    const c = this.conns[0];
    return this.base(this.receivedCount === this.w.count, lost(this.download ? c?.server : c?.client), {
      expected: this.w.count,
      sent: this.sent,
      received: this.receivedCount,
      rejected: this.rejected,
      duplicates: this.duplicates,
      latency: percentiles(this.latencies),
    });
  }
}
