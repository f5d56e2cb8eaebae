/**
 * An endpoint on sockets with its QuicConnections: the glue between the UDP driver's service
 * rounds and the connections' events. Shared by the server (`listen`) and the client
 * (`connect`, one host per client connection).
 */
import type { Connection } from '../connection/connection.js';
import { Endpoint, type EndpointOptions } from '../endpoint/endpoint.js';
import type { SocketAddress } from '../util/datagram.js';
import type { Instant } from '../util/time.js';
import { QuicConnection, type ConnectionHost } from './connection.js';
import type { QlogFileSink } from './files.js';
import { UdpDriver, type DriverWarning, type UdpSocketOptions } from './udp.js';

export interface HostOptions {
  sockets: UdpSocketOptions[];
  endpoint: (locals: SocketAddress[]) => EndpointOptions;
  onWarning?: (w: DriverWarning) => void;
  /** A server connection appeared on the endpoint (before its handshake completed). */
  onIncoming?: (core: Connection) => void;
  /** A connection ended; `abandoned` as in ConnectionHost. */
  onEnded?: (qc: QuicConnection, abandoned: boolean) => Promise<void> | void;
}

export class IoHost implements ConnectionHost {
  readonly driver: UdpDriver;
  readonly connections = new Map<Connection, QuicConnection>();
  private readonly o: HostOptions;

  private constructor(driver: UdpDriver, o: HostOptions) {
    this.driver = driver;
    this.o = o;
  }

  static async create(o: HostOptions): Promise<IoHost> {
    let host: IoHost | undefined;
    const driver = await UdpDriver.bind({
      sockets: o.sockets,
      createEndpoint: (locals) => new Endpoint({ ...o.endpoint(locals), trackActive: true }),
      onActivity: (now) => host?.pump(now),
      ...(o.onWarning ? { onWarning: o.onWarning } : {}),
    });
    host = new IoHost(driver, o);
    return host;
  }

  get endpoint(): Endpoint {
    return this.driver.endpoint;
  }

  now(): Instant {
    return this.driver.clock.now();
  }

  schedule(): void {
    this.driver.schedule();
  }

  /** A new local socket (connection migration, RFC 9000 §9.2). */
  addSocket(o: UdpSocketOptions): Promise<SocketAddress> {
    return this.driver.addSocket(o);
  }

  /** Wraps a core connection and starts routing its events. */
  adopt(core: Connection, qlog?: QlogFileSink): QuicConnection {
    const qc = new QuicConnection(this, core, qlog);
    this.connections.set(core, qc);
    return qc;
  }

  connectionEnded(qc: QuicConnection, abandoned: boolean): Promise<void> {
    this.connections.delete(qc.core);
    return Promise.resolve(this.o.onEnded?.(qc, abandoned));
  }

  /** Closes the sockets; connections still open are abandoned. */
  close(): Promise<void> {
    return this.driver.close();
  }

  /**
   * The application's turn in a service round: new connections, then the events of the
   * connections driven or woken since their last turn (`Endpoint.pollActive`); the others have
   * none. Those woken during this turn by the application's own calls are served too, up to a
   * bound; beyond it, in another round.
   */
  private pump(_now: Instant): void {
    const ep = this.endpoint;
    for (let e = ep.pollEvent(); e !== undefined; e = ep.pollEvent()) {
      if (e.type === 'connection') this.o.onIncoming?.(e.connection);
    }
    let budget = 2 * ep.activeCount + 64;
    for (let c = ep.pollActive(); c !== undefined; c = budget-- > 0 ? ep.pollActive() : undefined) this.connections.get(c)?.pump();
    if (ep.activeCount > 0) setImmediate(this.scheduleFn);
  }

  private readonly scheduleFn = (): void => this.driver.schedule();
}
