// A custom congestion controller as a tquic plug-in: "vegas-lite", a delay-based controller in
// the spirit of TCP Vegas (Brakmo & Peterson, 1995) and LEDBAT (RFC 6817).
//
// CUBIC (tquic's default) grows its window until a queue overflows and a packet is lost; on a
// link with a deep buffer it fills that buffer, and every packet waits in it. vegas-lite watches
// the round-trip time instead: once per round trip it estimates how many of its own packets
// sit in the bottleneck queue,
//
//     queued = cwnd × (rtt − baseRtt) / rtt / maxDatagramSize        (in packets)
//
// where baseRtt is the smallest RTT ever seen (the path without queueing) and rtt the
// smallest sample of the last round. It then keeps `queued` between ALPHA and BETA packets:
// one packet more per round trip below ALPHA, less above BETA. Slow start ends as soon as a
// queue shows. Loss still matters (a random loss or an overflowing queue): the window is
// multiplied by LOSS_BETA, at most once per round trip (a "recovery period", RFC 9002 §7.3.2).
//
// A plug-in is plain JavaScript: the controller only has to have the right shape (the
// `CongestionController` interface of src/recovery/cc/types.ts, `congestion.CongestionController`
// in the API reference), so this file imports nothing. Units, everywhere in tquic's recovery code:
//   - times (`now`, `timeSent`) are Instants in microseconds (µs) of the connection's clock
//     (virtual time in the simulator, a monotonic clock on real sockets);
//   - RTTs (`rtt.latest`, `rtt.min`, `rtt.smoothed`) are durations in µs;
//   - windows and packet sizes are in bytes.

/** Packets of our own we are happy to keep queued at the bottleneck: grow below ALPHA... */
const ALPHA = 2;
/** ...shrink above BETA, hold in between (Vegas' α and β). */
const BETA = 4;
/** Slow start ends once this many packets are queued (Vegas' γ). */
const GAMMA = 4;
/** Multiplicative decrease on loss (CUBIC uses 0.7, NewReno 0.5). */
const LOSS_BETA = 0.7;

export class VegasLite {
  /** The name the controller is registered under; tquic reports it in stats().congestionControl. */
  name = 'vegas-lite';

  /** Congestion window, bytes (read by the sender before every packet). */
  cwnd;
  /** Slow-start threshold, bytes; Infinity until slow start ends. */
  ssthresh = Infinity;
  /** True while a loss is being recovered from (read by tquic for qlog and stats). */
  inRecovery = false;

  #mds; // max_datagram_size, bytes
  #minPackets; // RFC 9002 kMinimumWindow, in datagrams (2 unless configured)
  #minWindow; // ...and in bytes
  #recoveryStart = -Infinity; // when the current recovery period began (µs)
  #roundStart = -Infinity; // when the current measurement round began (µs)
  #roundMinRtt = Infinity; // smallest RTT sample of this round (µs)
  #roundSamples = 0; // RTT samples this round

  /**
   * tquic calls the factory with `{ maxDatagramSize, initialWindowPackets?,
   * minimumWindowPackets?, hystart?, seed? }`, once per connection (and per multipath path).
   */
  constructor(o) {
    this.#mds = o.maxDatagramSize;
    this.#minPackets = o.minimumWindowPackets ?? 2;
    this.#minWindow = this.#minPackets * o.maxDatagramSize;
    // RFC 9002 §7.2: an initial window of 10 datagrams (capped at 14,720 bytes).
    const packets = o.initialWindowPackets ?? 10;
    this.cwnd = Math.min(packets * this.#mds, Math.max(packets * 1472, 2 * this.#mds));
  }

  /** In slow start while the window is below ssthresh (RFC 9002 §7.3.1). */
  get inSlowStart() {
    return this.cwnd < this.ssthresh;
  }

  /**
   * A packet that counts towards bytes in flight left (`bytesInFlight` already includes it).
   * vegas-lite learns nothing from sending.
   */
  onPacketSent(now, bytes, bytesInFlight) {}

  /**
   * One in-flight packet of `bytes` sent at `timeSent` was acknowledged at `now`. `rtt` is the
   * path's RTT estimator (RFC 9002 §5: latest, min, smoothed, rttvar, all µs), already updated
   * with this ACK's sample. `appLimited`: the sender was not using its window, so the ACK says
   * nothing about the path's capacity.
   */
  onPacketAcked(now, bytes, timeSent, rtt, appLimited) {
    // Packets sent before the last loss reaction do not grow the window (RFC 9002 B.5); the
    // first ACK of a packet sent after it ends the recovery period (§7.3.2).
    if (timeSent <= this.#recoveryStart) return;
    this.inRecovery = false;
    if (rtt.latest > 0) {
      this.#roundMinRtt = Math.min(this.#roundMinRtt, rtt.latest);
      this.#roundSamples++;
    }
    if (appLimited) return;
    if (this.inSlowStart) {
      // Slow start: one more byte of window per byte acknowledged (doubling every round
      // trip), until a queue of GAMMA packets shows (checked on every ACK once the round has
      // 8 samples, as HyStart++ does: a doubling window overshoots fast). Leaving, give back
      // what sits in the queue beyond ALPHA packets.
      this.cwnd += bytes;
      const queued = this.#queued(rtt);
      if (this.#roundSamples >= 8 && queued > GAMMA) {
        this.cwnd = Math.max(this.#minWindow, this.cwnd - (queued - ALPHA) * this.#mds);
        this.ssthresh = this.cwnd;
      }
    }
    // A round ends when a packet sent after it began is acknowledged: about one RTT.
    if (timeSent < this.#roundStart) return;
    if (!this.inSlowStart) {
      // Congestion avoidance, once per round trip: keep ALPHA..BETA packets queued (Vegas).
      // Below ALPHA one packet more; above BETA half the excess less (at least one packet),
      // so that the queue slow start left behind drains in a few round trips. ssthresh
      // follows the window down, so that a smaller window is not slow start again.
      const queued = this.#queued(rtt);
      if (queued < ALPHA) this.cwnd += this.#mds;
      else if (queued > BETA) this.ssthresh = this.cwnd = Math.max(this.#minWindow, this.cwnd - Math.max(1, (queued - BETA) / 2) * this.#mds);
    }
    this.#roundStart = now;
    this.#roundMinRtt = Infinity;
    this.#roundSamples = 0;
  }

  /**
   * Our packets in the bottleneck queue, estimated from this round's best RTT against the
   * path's minimum: the window is spread over `current` µs of which `current − base` is queueing.
   */
  #queued(rtt) {
    const base = rtt.min;
    const current = this.#roundMinRtt;
    if (!(base > 0) || current === Infinity) return 0;
    return (this.cwnd * (current - base)) / current / this.#mds;
  }

  /**
   * A congestion event: a packet sent at `timeSent` was declared lost (or, with ECN, CE-marked).
   * React at most once per recovery period (RFC 9002 §7.3.2, B.6).
   */
  onCongestionEvent(now, timeSent, rtt) {
    if (timeSent <= this.#recoveryStart) return;
    this.#recoveryStart = now;
    this.inRecovery = true;
    this.cwnd = Math.max(this.#minWindow, this.cwnd * LOSS_BETA);
    this.ssthresh = this.cwnd;
  }

  /** Persistent congestion (RFC 9002 §7.6: nothing acknowledged for a long time): the minimum window. */
  onPersistentCongestion(now) {
    this.cwnd = this.#minWindow;
    this.#recoveryStart = -Infinity;
    this.inRecovery = false;
  }

  /** Path MTU discovery raised (or lowered) the datagram size: count packets in the new size. */
  setMaxDatagramSize(maxDatagramSize) {
    this.#mds = maxDatagramSize;
    this.#minWindow = this.#minPackets * maxDatagramSize;
    if (this.cwnd < this.#minWindow) this.cwnd = this.#minWindow;
  }

  /**
   * Bytes per second to pace at; undefined keeps tquic's default, 1.25 × cwnd / smoothed RTT
   * (RFC 9002 §7.7), which suits a window-based controller.
   */
  pacingRate(rtt) {
    return undefined;
  }

  // Optional hooks vegas-lite does not need (see src/recovery/cc/types.ts):
  //   onAckEvent(now, ackEvent, rtt)  once per ACK frame, with a delivery-rate sample and ECN
  //                                   counts (what BBR and Prague are built on);
  //   onPacketLost(now, bytes, timeSent)  every lost packet, not just one per recovery period;
  //   ecnCodepoint = 'ect1'           mark packets for L4S (scalable ECN, like Prague).
}

/**
 * The plug-in: a name for messages and, per kind, registry name → factory. `tquic sim
 * --plugin examples/custom-cc/plugin.mjs` and `loadPlugin()` read the default export;
 * `registerPlugin(plugin)` takes it directly.
 */
export default {
  name: 'vegas-lite-example',
  congestionControllers: { 'vegas-lite': (options) => new VegasLite(options) },
};
