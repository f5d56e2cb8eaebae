// Compares the plug-in controller of ./plugin.mjs ("vegas-lite") with CUBIC in tquic's network
// simulator, on three networks, and checks what a delay-based controller promises:
//   - on a clean link it fills the pipe as well as CUBIC does;
//   - on a deep buffer it keeps the RTT near the path's minimum, where CUBIC fills the buffer.
//
//   node examples/custom-cc/compare.mjs
//
// The simulator runs in virtual time, seeded: the same seed gives the same run, byte for byte.
import { registerPlugin, sim } from 'tquic';
import plugin from './plugin.mjs';
import { printTable } from '../table.mjs';

// Make 'vegas-lite' known by name, like the built-in 'cubic', 'newreno', 'bbr3', 'prague'.
registerPlugin(plugin);

const CONTROLLERS = ['cubic', 'vegas-lite'];
const BYTES = 4_000_000; // one 4 MB download per run
const SEED = 1;

// Networks, in human units: one-way delay 20 ms (40 ms RTT), 20 Mbit/s. Without
// `queuePackets` the drop-tail queue holds one bandwidth-delay product (67 packets here).
const NETWORKS = {
  'clean 20 Mbit/s, 40 ms RTT': sim.link({ delayMs: 20, rateMbps: 20 }),
  '1% random loss': sim.link({ delayMs: 20, rateMbps: 20 }, sim.loss(0.01)),
  'deep buffer (4 BDPs)': sim.link({ delayMs: 20, rateMbps: 20, queuePackets: 270 }),
};

/** One simulated download with `cc` at both ends; RTT samples from the server's qlog. */
async function run(network, link, cc) {
  const scenario = sim.scenario({
    name: `${network} / ${cc}`,
    topology: sim.pointToPoint(link), // the way back is a copy of `link`
    workload: sim.bulk(BYTES), // the server sends, so its controller is the one that matters
    client: { congestionControl: cc },
    server: { congestionControl: cc },
    seed: SEED,
  });
  // A qlog sink is any object with `event(time, event)`; `wants` lets tquic skip the others.
  // The data sender (the server) logs an RTT sample (ms) in each recovery_metrics_updated.
  const rtts = [];
  const rttSink = {
    wants: (name) => name === 'quic:recovery_metrics_updated',
    event: (_time, e) => {
      if (e.data.latest_rtt > 0) rtts.push(e.data.latest_rtt);
    },
  };
  const r = await sim.simulate(scenario, { qlog: ({ role }) => (role === 'server' ? rttSink : undefined) });
  return {
    network,
    cc: r.server?.congestionControl ?? '?', // what the server really ran
    ok: r.ok,
    failures: r.failures,
    goodputMbps: r.goodput / 1e6, // r.goodput is bit/s
    completionS: r.completionTime / 1e6, // µs of virtual time
    retransmissions: r.retransmissions, // packets the sender declared lost
    meanRttMs: rtts.reduce((a, b) => a + b, 0) / Math.max(1, rtts.length),
    maxRttMs: Math.max(0, ...rtts),
  };
}

const rows = [];
for (const [network, link] of Object.entries(NETWORKS)) {
  for (const cc of CONTROLLERS) rows.push(await run(network, link, cc));
}

console.log(`${(BYTES / 1e6).toFixed(0)} MB download per run, seed ${SEED}\n`);
printTable(
  rows.map((r) => ({
    network: r.network,
    controller: r.cc,
    'goodput Mbit/s': r.goodputMbps.toFixed(2),
    'completion s': r.completionS.toFixed(2),
    retransmissions: r.retransmissions,
    'mean RTT ms': r.meanRttMs.toFixed(1),
    'max RTT ms': r.maxRttMs.toFixed(1),
  })),
);

// What the example demonstrates; exit 1 if any of it did not hold.
const problems = [];
const find = (network, cc) => rows.find((r) => r.network === network && r.cc === cc);
for (const r of rows) if (!r.ok) problems.push(...r.failures);
for (const network of Object.keys(NETWORKS)) {
  if (find(network, 'vegas-lite') === undefined) problems.push(`${network}: the server did not run vegas-lite`);
}
const [clean, , deep] = Object.keys(NETWORKS);
const cleanV = find(clean, 'vegas-lite');
const cleanC = find(clean, 'cubic');
if (cleanV && cleanC && !(cleanV.goodputMbps >= 0.9 * cleanC.goodputMbps)) problems.push(`${clean}: vegas-lite reached ${cleanV.goodputMbps.toFixed(2)} Mbit/s, under 90% of CUBIC's`);
const deepV = find(deep, 'vegas-lite');
const deepC = find(deep, 'cubic');
if (deepV && deepC && !(deepV.meanRttMs < 0.5 * deepC.meanRttMs)) problems.push(`${deep}: vegas-lite's mean RTT ${deepV.meanRttMs.toFixed(1)} ms is not under half of CUBIC's`);

if (problems.length > 0) {
  console.error(`\nFAILED:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`\nvegas-lite: ${cleanV.goodputMbps.toFixed(2)} Mbit/s on the clean link (CUBIC ${cleanC.goodputMbps.toFixed(2)}), mean RTT ${deepV.meanRttMs.toFixed(1)} ms on the deep buffer (CUBIC ${deepC.meanRttMs.toFixed(1)} ms): as expected`);

