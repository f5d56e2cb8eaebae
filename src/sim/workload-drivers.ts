/**
 * The drivers of the stream workloads (bulk, streams, requests) and `createDriver`, which picks
 * the driver of any workload (datagrams: workload-datagrams.ts; handshakes:
 * workload-handshakes.ts).
 */
import type { Connection } from '../connection/connection.js';
import type { ConnectionEvent } from '../connection/types.js';
import { percentiles, type BulkWorkload, type RequestsWorkload, type StreamsWorkload, type Workload } from './workload.js';
import { FlowDriver, lost, Releaser, StreamReceiver, StreamSender, type FlowConn, type FlowContext, type WorkloadOutcome } from './workload-driver.js';
import { DatagramsDriver } from './workload-datagrams.js';
import { HandshakesDriver } from './workload-handshakes.js';

const REQUEST = new TextEncoder().encode('GET /bulk\r\n');

/** One stream of `bytes`, downloaded after a small request or uploaded. */
export class BulkDriver extends FlowDriver {
  private streamId: number | undefined;
  private sender: StreamSender | undefined;
  private receiver: StreamReceiver | undefined;
  private request: StreamReceiver | undefined;
  private readonly download: boolean;

  constructor(
    ctx: FlowContext,
    readonly w: BulkWorkload,
  ) {
    super(ctx, w);
    this.download = (w.direction ?? 'download') === 'download';
  }

  start(): void {
    this.open();
  }

  /**
   * Once established, opens the bidirectional stream (download: sends the request with FIN),
   * then reads the download or writes the upload as flow control allows.
   */
  protected override clientTurn(c: FlowConn): void {
    const conn = c.client;
    if (this.streamId === undefined && conn.state === 'established') {
      const id = conn.openStream(true);
      if (id === undefined) return;
      this.streamId = id;
      if (this.download) {
        conn.streamWrite(id, REQUEST, true);
        this.receiver = new StreamReceiver(id, 0);
      } else {
        this.sender = new StreamSender(id, this.w.bytes, 0);
      }
    }
    if (this.download) this.pumpReceiver(conn);
    else this.sender?.pump(conn);
  }

  /** Picks up the client's stream when it opens at the server: the request (download) or the upload. */
  protected override onServerEvent(_c: FlowConn, e: ConnectionEvent): void {
    if (e.type === 'stream_opened' && this.streamId !== undefined && e.id === this.streamId) {
      if (this.download) this.request = new StreamReceiver(e.id, 0, false);
      else this.receiver = new StreamReceiver(e.id, 0);
    }
  }

  /** Download: reads the request and, after its FIN, writes `bytes` and FIN; upload: reads. */
  protected override serverTurn(c: FlowConn): void {
    const conn = c.server!;
    if (this.download) {
      this.request?.pump(conn);
      if (this.request?.fin && !this.sender) this.sender = new StreamSender(this.request.id, this.w.bytes, 0);
      this.sender?.pump(conn);
    } else {
      this.pumpReceiver(conn);
    }
  }

  private pumpReceiver(conn: Connection): void {
    const r = this.receiver;
    if (!r) return;
    this.received(r.pump(conn));
    if (!r.intact) this.intact = false;
    if (r.fin && r.bytes === this.w.bytes) this.done();
  }

  /**
   * Completed once all `bytes` and the FIN arrived; counts the packets the data sender
   * declared lost; no message statistics.
   */
  outcome(): WorkloadOutcome {
    const c = this.conns[0];
    // No stream was ever received (say the handshake never completed): nothing delivered,
    // nothing corrupted; whether the transfer completed is `completed`'s business.
    const intact = this.receiver ? this.receiver.intact : true;
    const o = this.base(this.doneAt !== undefined, lost(this.download ? c?.server : c?.client));
    o.dataIntact = intact && this.intact;
    return o;
  }
}

/**
 * Many one-way streams, at most `concurrency` unacknowledged at a time; with an `interval`,
 * stream i is released i·interval after the sender's handshake (and concurrency defaults to
 * unlimited).
 */
export class StreamsDriver extends FlowDriver {
  private readonly download: boolean;
  private readonly concurrency: number;
  private readonly interval: number;
  private readonly releaser: Releaser;
  /** When the releaser began (stream i is released `interval·i` later); interval > 0 only. */
  private releaseStart: number | undefined;
  private next = 0;
  private active = 0;
  private completedCount = 0;
  private readonly senders: StreamSender[] = [];
  private readonly indexOf = new Map<number, number>();
  /** Where stream i's latency is measured from: its opening, or its release with an interval. */
  private readonly sentAt: number[] = [];
  private readonly receivers = new Map<number, StreamReceiver>();
  private readonly latencies: number[] = [];

  constructor(
    ctx: FlowContext,
    readonly w: StreamsWorkload,
  ) {
    super(ctx, w);
    this.download = (w.direction ?? 'download') === 'download';
    this.interval = w.interval ?? 0;
    this.concurrency = w.concurrency ?? (this.interval > 0 ? Number.POSITIVE_INFINITY : 10);
    this.releaser = new Releaser(ctx, w.count, this.interval);
  }

  start(): void {
    this.open();
  }

  /**
   * Download: reads the server's streams and records each one's latency at its FIN; upload:
   * counts a stream as no longer outstanding once the server has acknowledged all of it.
   */
  protected override onClientEvent(c: FlowConn, e: ConnectionEvent): void {
    if (this.download) this.onReceiverEvent(c.client, e);
    else this.onSenderEvent(e);
  }

  /** The mirror of `onClientEvent`: download, stream acknowledgements; upload, reading. */
  protected override onServerEvent(c: FlowConn, e: ConnectionEvent): void {
    if (this.download) this.onSenderEvent(e);
    else this.onReceiverEvent(c.server!, e);
  }

  /** Upload: opens the released streams as the stream limit and concurrency allow, and writes them. */
  protected override clientTurn(c: FlowConn): void {
    if (!this.download) this.send(c.client);
  }

  /** Download: opens the released streams as the stream limit and concurrency allow, and writes them. */
  protected override serverTurn(c: FlowConn): void {
    if (this.download) this.send(c.server!);
  }

  private onSenderEvent(e: ConnectionEvent): void {
    if (e.type === 'stream_finished' && this.indexOf.has(e.id)) this.active--;
  }

  private send(conn: Connection): void {
    if (conn.state !== 'established') return;
    this.releaseStart ??= this.ctx.now();
    this.releaser.begin();
    while (this.next < this.releaser.released && this.active < this.concurrency) {
      const id = conn.openStream(false);
      if (id === undefined) break;
      const i = this.next++;
      this.indexOf.set(id, i);
      this.sentAt[i] = this.interval > 0 ? this.releaseStart + i * this.interval : this.ctx.now();
      this.senders.push(new StreamSender(id, this.w.size, i + 1));
      this.active++;
    }
    let keep = 0;
    for (const s of this.senders) if (!s.pump(conn)) this.senders[keep++] = s;
    this.senders.length = keep;
  }

  private onReceiverEvent(conn: Connection, e: ConnectionEvent): void {
    let r: StreamReceiver | undefined;
    if (e.type === 'stream_opened') {
      const i = this.indexOf.get(e.id);
      if (i === undefined) return;
      r = new StreamReceiver(e.id, i + 1);
      this.receivers.set(e.id, r);
    } else if (e.type === 'stream_readable') {
      r = this.receivers.get(e.id);
    }
    if (!r) return;
    this.received(r.pump(conn));
    if (!r.intact) this.intact = false;
    if (r.fin) {
      if (r.bytes !== this.w.size) this.intact = false;
      const i = this.indexOf.get(r.id)!;
      this.latencies.push(this.ctx.now() - this.sentAt[i]!);
      this.receivers.delete(r.id);
      if (++this.completedCount === this.w.count) this.done();
    }
  }

  /**
   * Completed once every stream arrived in full; counts the packets the sender declared lost;
   * messages are the streams, with their latency.
   */
  outcome(): WorkloadOutcome {
    const c = this.conns[0];
    return this.base(this.doneAt !== undefined, lost(this.download ? c?.server : c?.client), {
      expected: this.w.count,
      sent: this.next,
      received: this.completedCount,
      rejected: 0,
      duplicates: 0,
      latency: percentiles(this.latencies),
    });
  }
}

/** Request/response exchanges on separate bidirectional streams of one connection. */
export class RequestsDriver extends FlowDriver {
  private readonly releaser: Releaser;
  private opened = 0;
  private outstanding = 0;
  private completedCount = 0;
  private readonly indexOf = new Map<number, number>();
  private readonly sentAt: number[] = [];
  private readonly requestSenders: StreamSender[] = [];
  private readonly responses = new Map<number, StreamReceiver>();
  private readonly requests = new Map<number, StreamReceiver>();
  private readonly responseSenders: StreamSender[] = [];
  private readonly latencies: number[] = [];

  constructor(
    ctx: FlowContext,
    readonly w: RequestsWorkload,
  ) {
    super(ctx, w);
    this.releaser = new Releaser(ctx, w.count, w.interval ?? 0);
  }

  start(): void {
    this.open();
  }

  /** Reads the responses; at a response's FIN, records the exchange's latency. */
  protected override onClientEvent(c: FlowConn, e: ConnectionEvent): void {
    if (e.type !== 'stream_readable') return;
    const r = this.responses.get(e.id);
    if (!r) return;
    this.received(r.pump(c.client));
    if (!r.intact) this.intact = false;
    if (!r.fin) return;
    if (r.bytes !== this.w.responseSize) this.intact = false;
    this.latencies.push(this.ctx.now() - this.sentAt[this.indexOf.get(e.id)!]!);
    this.responses.delete(e.id);
    this.outstanding--;
    if (++this.completedCount === this.w.count) this.done();
  }

  /**
   * Once established, opens a stream for each released request as the stream limit and
   * `concurrency` allow, and writes the requests with FIN.
   */
  protected override clientTurn(c: FlowConn): void {
    const conn = c.client;
    if (conn.state !== 'established') return;
    this.releaser.begin();
    const limit = this.w.concurrency ?? Number.POSITIVE_INFINITY;
    while (this.opened < this.releaser.released && this.outstanding < limit) {
      const id = conn.openStream(true);
      if (id === undefined) break;
      const i = this.opened++;
      this.indexOf.set(id, i);
      this.sentAt[i] = this.ctx.now();
      this.outstanding++;
      this.requestSenders.push(new StreamSender(id, this.w.requestSize, 2 * i + 1));
      this.responses.set(id, new StreamReceiver(id, 2 * i + 2));
    }
    let keep = 0;
    for (const s of this.requestSenders) if (!s.pump(conn)) this.requestSenders[keep++] = s;
    this.requestSenders.length = keep;
  }

  /** Reads the requests; at a request's FIN, queues its response. */
  protected override onServerEvent(c: FlowConn, e: ConnectionEvent): void {
    const conn = c.server!;
    let r: StreamReceiver | undefined;
    if (e.type === 'stream_opened') {
      const i = this.indexOf.get(e.id);
      if (i === undefined) return;
      r = new StreamReceiver(e.id, 2 * i + 1);
      this.requests.set(e.id, r);
    } else if (e.type === 'stream_readable') {
      r = this.requests.get(e.id);
    }
    if (!r) return;
    this.received(r.pump(conn));
    if (!r.intact) this.intact = false;
    if (!r.fin) return;
    if (r.bytes !== this.w.requestSize) this.intact = false;
    this.requests.delete(r.id);
    this.responseSenders.push(new StreamSender(r.id, this.w.responseSize, 2 * this.indexOf.get(r.id)! + 2));
  }

  /** Writes the queued responses, each with FIN, as flow control allows. */
  protected override serverTurn(c: FlowConn): void {
    let keep = 0;
    for (const s of this.responseSenders) if (!s.pump(c.server!)) this.responseSenders[keep++] = s;
    this.responseSenders.length = keep;
  }

  /**
   * Completed once every response arrived in full; counts the packets both sides declared
   * lost; messages are the exchanges, with their latency.
   */
  outcome(): WorkloadOutcome {
    const c = this.conns[0];
    return this.base(this.doneAt !== undefined, lost(c?.client) + lost(c?.server), {
      expected: this.w.count,
      sent: this.opened,
      received: this.completedCount,
      rejected: 0,
      duplicates: 0,
      latency: percentiles(this.latencies),
    });
  }
}

/** The driver that plays workload `w` in the flow context `ctx`, by the workload's `type`. */
export function createDriver(ctx: FlowContext, w: Workload): FlowDriver {
  switch (w.type) {
    case 'bulk':
      return new BulkDriver(ctx, w);
    case 'streams':
      return new StreamsDriver(ctx, w);
    case 'requests':
      return new RequestsDriver(ctx, w);
    case 'datagrams':
      return new DatagramsDriver(ctx, w);
    case 'handshakes':
      return new HandshakesDriver(ctx, w);
  }
}
