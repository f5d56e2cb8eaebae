// A custom multipath packet scheduler, registered by name, over two simulated paths and
// compared with tquic's built-in schedulers.
//
//   node examples/multipath-scheduler.mjs
//
// The setting: a phone with Wi-Fi (path 0, the one the connection starts on) and a metered
// cellular link (path 1). tquic's default scheduler, 'minrtt', sends each packet on the
// lowest-RTT path whose congestion window has room, so a bulk download spills onto cellular
// whenever Wi-Fi's window is full: it uses both paths as much as they take. "cost-cap" keeps
// the cellular share of the bytes under a cap (20% here) and otherwise behaves like minrtt —
// unless Wi-Fi stops delivering, when the cap is lifted rather than the download stalled.
import { paths, registerPlugin, sim } from 'tquic';
import { printTable } from './table.mjs';

/**
 * A scheduler is an object with `name` and `select(paths, now, bytes, out)` (src/paths/
 * scheduler.ts `PacketScheduler`). tquic calls `select` for every ack-eliciting datagram
 * with one record per path — `{ id, usable, backup, srtt, minRtt, cwnd, bytesInFlight,
 * ptoCount, lastSentAt, pacingReadyAt }`, times in µs, sizes in bytes — and sends on the path
 * it returns, or waits (for an ACK or the pacer) when it returns undefined. `out` is for
 * redundant schedulers: IDs of further paths that must carry a copy (cleared, left empty
 * here). `onSent` reports each datagram actually sent, `onPathRemoved` a path gone for good.
 * The factory is called once per connection with the scheduler options of the config.
 */
function costCap(options = {}) {
  const cap = options.cap ?? 0.2; // largest share of the bytes the metered paths may carry
  if (!(cap >= 0 && cap <= 1)) throw new RangeError('cost-cap: option "cap" must be in [0, 1]');
  let total = 0; // bytes sent on all paths
  let metered = 0; // bytes sent on paths other than path 0
  return {
    name: 'cost-cap',
    select(ps, now, bytes, out) {
      out.length = 0;
      // Wi-Fi counts as delivering unless it is gone or its probes went unanswered twice.
      const wifiOk = ps.some((p) => p.id === 0 && p.usable && p.ptoCount < 2);
      const meteredAllowed = !wifiOk || metered + bytes <= cap * (total + bytes);
      let best;
      for (const p of ps) {
        if (!p.usable) continue; // not validated yet, closing or abandoned
        if (p.cwnd - p.bytesInFlight < bytes || p.pacingReadyAt > now) continue; // cannot send now
        if (p.id !== 0 && !meteredAllowed) continue; // over budget
        if (p.backup && ps.some((q) => q.usable && !q.backup)) continue; // backup paths last (multipath-21 §3.3)
        if (best === undefined || p.srtt < best.srtt) best = p;
      }
      return best;
    },
    onSent(id, bytes, now) {
      total += bytes;
      if (id !== 0) metered += bytes;
    },
    onPathRemoved(id) {},
  };
}

registerPlugin({ name: 'multipath-scheduler-example', schedulers: { 'cost-cap': costCap } });
const builtIn = paths.schedulerNames().filter((n) => ['minrtt', 'roundrobin', 'weighted'].includes(n));
console.log(`schedulers registered: ${paths.schedulerNames().join(', ')}`);

// Two disjoint paths between a multihomed client and the server (each link used both ways).
const wifi = sim.link({ delayMs: 10, rateMbps: 10 }); // 20 ms RTT
const cellular = sim.link({ delayMs: 25, rateMbps: 8 }); // 50 ms RTT
const topology = sim.multihomed({ name: 'wifi', toServer: wifi, toClient: wifi }, { name: 'cellular', toServer: cellular, toClient: cellular });
const BYTES = 5_000_000;
const CAP = 0.2;

const rows = [];
const problems = [];
for (const scheduler of [...builtIn, 'cost-cap']) {
  // Both ends offer multipath; the client opens a path from its second address once the
  // handshake is confirmed. The server sends the download, so its scheduler decides.
  const multipath = { scheduler, ...(scheduler === 'cost-cap' ? { schedulerOptions: { cap: CAP } } : {}) };
  const r = await sim.simulate(sim.scenario({ name: scheduler, topology, workload: sim.bulk(BYTES), client: { multipath }, server: { multipath }, seed: 1 }));
  if (!r.ok) problems.push(...r.failures);
  // Per path: the server's own count of what it sent (stats().paths), and what the link
  // towards the client delivered (result.paths, the simulator's counters).
  const sent = (id) => r.server?.paths?.find((p) => p.id === id)?.bytesSent ?? 0;
  const link = (name) => r.paths.find((p) => p.name === name)?.toClient.bytesDelivered ?? 0;
  rows.push({
    scheduler,
    wifiMB: sent(0) / 1e6,
    cellularMB: sent(1) / 1e6,
    cellularShare: sent(1) / Math.max(1, sent(0) + sent(1)),
    linkWifiMB: link('wifi') / 1e6,
    linkCellularMB: link('cellular') / 1e6,
    goodputMbps: r.goodput / 1e6,
    completionS: r.completionTime / 1e6,
    retransmissions: r.retransmissions,
  });
}

console.log(`\n${BYTES / 1e6} MB download; wifi 10 Mbit/s, 20 ms RTT; cellular 8 Mbit/s, 50 ms RTT; seed 1\n`);
printTable(
  rows.map((r) => ({
    scheduler: r.scheduler,
    'sent wifi MB': r.wifiMB.toFixed(2),
    'sent cellular MB': r.cellularMB.toFixed(2),
    'cellular share': `${(100 * r.cellularShare).toFixed(1)}%`,
    'link wifi / cellular MB': `${r.linkWifiMB.toFixed(2)} / ${r.linkCellularMB.toFixed(2)}`,
    'goodput Mbit/s': r.goodputMbps.toFixed(2),
    'completion s': r.completionS.toFixed(2),
    retransmissions: r.retransmissions,
  })),
);

// What the example demonstrates; exit 1 if any of it did not hold.
const mine = rows.find((r) => r.scheduler === 'cost-cap');
const minrtt = rows.find((r) => r.scheduler === 'minrtt');
if (!(mine.cellularShare <= CAP + 0.01)) problems.push(`cost-cap sent ${(100 * mine.cellularShare).toFixed(1)}% on cellular, above its ${100 * CAP}% cap`);
if (!(mine.cellularMB > 0)) problems.push('cost-cap never used cellular');
if (!(minrtt.cellularShare > mine.cellularShare)) problems.push('minrtt did not use cellular more than cost-cap');
if (!(mine.goodputMbps > 10)) problems.push(`cost-cap's goodput ${mine.goodputMbps.toFixed(2)} Mbit/s is not above what wifi alone carries (10)`);
if (problems.length > 0) {
  console.error(`\nFAILED:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`\ncost-cap: ${(100 * mine.cellularShare).toFixed(1)}% of the bytes on cellular (cap ${100 * CAP}%, minrtt ${(100 * minrtt.cellularShare).toFixed(1)}%), ${mine.goodputMbps.toFixed(2)} Mbit/s (minrtt ${minrtt.goodputMbps.toFixed(2)})`);

