// A custom forward-error-correction (FEC) redundancy policy, registered by name and compared
// with no FEC and with the built-in 'fixed' policy (10:2) under bursty loss, in the simulator.
//
//   node examples/fec-policy.mjs
//
// FEC sends repair packets computed from the data packets (Reed-Solomon here), so that the
// receiver can rebuild a lost packet without waiting a round trip for its retransmission.
// A *policy* decides how many repairs protect each block of data packets. 'fixed' 10:2 always
// sends 2 repairs per 10 packets (and at least 1 for a smaller block), whatever the network
// does. "loss-scaled" below spends repairs only when the path loses packets: none while the
// measured loss rate is under 1%, then MARGIN times the losses it expects in the block, capped.
//
// What to expect: loss-scaled saves nearly all of fixed's repairs under light loss and sends
// more as loss grows. Neither policy shortens the tail latency of these messages under
// *bursty* loss: each message is a block of one packet whose repair leaves right behind it
// (tquic closes a block as soon as the sender has nothing more to send), and a burst — two
// packets on average — takes both. Repairs also double the packets sent, and a rebuilt packet
// still counts as lost for congestion control (RFC 9265). With independent losses FEC does
// pay off: compare `npx tquic sim fec-none` with `npx tquic sim fec-rs` (message p99).
import { registerPlugin, sim } from 'tquic';
import { printTable } from './table.mjs';

const K = 10; // data packets per block (a block also closes early when the sender goes idle)
const MIN_LOSS = 0.01; // below this measured loss rate, no repairs at all
const MARGIN = 3; // repairs = MARGIN × the losses expected in the block (losses come in bursts)
const CAP = 4; // ...but never more than this per block

/**
 * A policy is `{ name, k, repairs(n, lossRate) }` (src/fec/policy.ts `FecPolicy`): for a block
 * of `n` data packets (1 ≤ n ≤ k), how many repairs, given the loss rate the sender measures
 * (0..1). The factory gets the options given with the name (none here).
 */
function lossScaled() {
  return {
    name: 'loss-scaled',
    k: K,
    repairs(n, lossRate) {
      if (lossRate < MIN_LOSS) return 0;
      return Math.min(CAP, Math.max(1, Math.ceil(n * lossRate * MARGIN)));
    },
  };
}

registerPlugin({ name: 'fec-policy-example', fecPolicies: { 'loss-scaled': lossScaled } });

// Both ends must ask for FEC; the server's policy is the one that matters here (it sends).
const POLICIES = {
  'no FEC': undefined,
  'fixed 10:2': { scheme: 'rs', policy: 'fixed', ratio: '10:2' },
  'loss-scaled': { scheme: 'rs', policy: 'loss-scaled' },
};
// Gilbert-Elliott bursty loss: `rate` of all packets lost in the long run, 2 in a row on average.
const LOSS = { 'light (0.5%)': sim.burstyLoss(0.005, 2), 'heavy (5%)': sim.burstyLoss(0.05, 2) };
const SEEDS = [1, 2, 3]; // bursty loss varies a lot from run to run: look at several seeds

// Real-time-like traffic: the server sends a 1 kB message every 10 ms for 5 s, each on a
// stream of its own, over 10 Mbit/s and a 20 ms RTT. Latency is what FEC is for.
const workload = sim.streams(500, 1000, { intervalMs: 10 });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
const problems = [];
for (const [lossName, burst] of Object.entries(LOSS)) {
  for (const [policyName, fec] of Object.entries(POLICIES)) {
    const runs = [];
    for (const seed of SEEDS) {
      const r = await sim.simulate(
        sim.scenario({
          name: `${lossName} ${policyName}`,
          topology: sim.pointToPoint(sim.link({ delayMs: 10, rateMbps: 10 }, burst)),
          workload,
          seed,
          ...(fec ? { client: { fec }, server: { fec } } : {}),
        }),
      );
      if (!r.ok) problems.push(...r.failures);
      if (fec && r.server?.fec?.policy !== fec.policy) problems.push(`${lossName} ${policyName}: the server ran FEC policy ${r.server?.fec?.policy}`);
      runs.push(r);
    }
    const sum = (f) => runs.reduce((a, r) => a + f(r), 0);
    rows.push({
      loss: lossName,
      policy: policyName,
      goodputMbps: sum((r) => r.goodput) / runs.length / 1e6,
      completionS: sum((r) => r.completionTime) / runs.length / 1e6,
      retransmissions: sum((r) => r.retransmissions), // packets declared lost (repairs included)
      p99Ms: median(runs.map((r) => r.flows[0].messages.latency.p99)) / 1000, // send → delivery
      protected: sum((r) => r.server.fec?.sourcesSent ?? 0), // data packets with FEC
      repairs: sum((r) => r.server.fec?.repairsSent ?? 0),
      recovered: sum((r) => r.client.fec?.packetsRecovered ?? 0), // rebuilt by the client
    });
  }
}

console.log(`500 messages of 1 kB, one every 10 ms, 10 Mbit/s, 20 ms RTT; seeds ${SEEDS.join(', ')} (sums, means, median p99)\n`);
printTable(
  rows.map((r) => ({
    loss: r.loss,
    policy: r.policy,
    'goodput Mbit/s': r.goodputMbps.toFixed(3),
    'completion s': r.completionS.toFixed(2),
    retransmissions: r.retransmissions,
    'msg p99 ms': r.p99Ms.toFixed(1),
    'repairs / protected': `${r.repairs} / ${r.protected}`,
    recovered: r.recovered,
  })),
);

// What the example demonstrates; exit 1 if any of it did not hold.
const row = (loss, policy) => rows.find((r) => r.loss === loss && r.policy === policy);
const [light, heavy] = Object.keys(LOSS);
const overhead = (r) => r.repairs / Math.max(1, r.protected);
if (!(row(light, 'loss-scaled').repairs < 0.5 * row(light, 'fixed 10:2').repairs)) problems.push('light loss: loss-scaled did not save repairs against fixed 10:2');
if (!(overhead(row(heavy, 'loss-scaled')) > overhead(row(light, 'loss-scaled')))) problems.push('loss-scaled did not send more repairs under heavy loss than under light loss');
if (!(row(heavy, 'loss-scaled').recovered > 0)) problems.push('heavy loss: loss-scaled recovered no packet');
if (problems.length > 0) {
  console.error(`\nFAILED:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
const pct = (r) => `${(100 * overhead(r)).toFixed(0)}%`;
console.log(`\nloss-scaled: ${pct(row(light, 'loss-scaled'))} repair overhead under light loss (fixed 10:2: ${pct(row(light, 'fixed 10:2'))}), ${pct(row(heavy, 'loss-scaled'))} under heavy loss: it follows the loss rate`);

