/**
 * The project's performance goals (the performance issue), in one table: each goal names the
 * benchmark that measures it, the figure's unit, the comparison and the target, and keeps the
 * issue's wording in `text`. `tquic bench` checks every headline figure that names a goal
 * (summary.ts) and prints "met" or "not met"; figures without a goal print "n/a".
 *
 * Goals on a ratio (`unit: '×'`, `ratio: true`) apply to a figure's in-run ratio (its value
 * divided by a reference measured in the same run: node:dgram's receive rate, ngtcp2 with
 * itself), not to its absolute value: absolute times drift between machines, ratios much less.
 */

export type GoalOp = '>=' | '<=' | '<' | '>';

export interface Goal {
  id: string;
  /** The benchmark whose figure the goal applies to. */
  bench: string;
  /** The goal applies to the figure's in-run ratio rather than to its value. */
  ratio?: boolean;
  op: GoalOp;
  target: number;
  unit: string;
  /** The goal as the performance issue states it. */
  text: string;
}

export const GOALS = {
  loopbackNode: {
    id: 'loopback-goodput-node',
    bench: 'loopback',
    op: '>=',
    target: 1000,
    unit: 'Mbit/s',
    text: 'loopback, one connection, 100 MB download, datagrams ≤ 1452 B: ≥ 1000 Mbit/s goodput with the node crypto provider',
  },
  loopbackNoble: {
    id: 'loopback-goodput-noble',
    bench: 'loopback',
    op: '>=',
    target: 250,
    unit: 'Mbit/s',
    text: 'loopback, one connection, 100 MB download, datagrams ≤ 1452 B: ≥ 250 Mbit/s goodput with the noble crypto provider',
  },
  loopbackVsDgram: {
    id: 'loopback-vs-dgram',
    bench: 'loopback',
    ratio: true,
    op: '>=',
    target: 0.5,
    unit: '×',
    text: 'loopback download goodput (node provider) ≥ 0.5 × the raw node:dgram receive rate measured in the same run',
  },
  vsNgtcp2: {
    id: 'interop-vs-ngtcp2',
    bench: 'interop',
    ratio: true,
    op: '>=',
    target: 0.3,
    unit: '×',
    text: 'loopback download goodput of tquic (tquic ↔ tquic in two processes, and tquic against ngtcp2 either way) ≥ 0.3 × ngtcp2 client ↔ ngtcp2 server goodput in the same run',
  },
  handshakesNode: {
    id: 'handshakes-node',
    bench: 'loopback',
    op: '>=',
    target: 1500,
    unit: '/s',
    text: 'handshakes: ≥ 1500 per second against one server with the node crypto provider',
  },
  handshakesNoble: {
    id: 'handshakes-noble',
    bench: 'loopback',
    op: '>=',
    target: 300,
    unit: '/s',
    text: 'handshakes: ≥ 300 per second against one server with the noble crypto provider',
  },
  idleConnection: {
    id: 'memory-idle-connection',
    bench: 'memory',
    op: '<=',
    target: 40,
    unit: 'KB',
    text: 'memory: ≤ 40 KB of heap per idle connection at 10,000 connections (server side)',
  },
  gcShare: {
    id: 'memory-gc-share',
    bench: 'memory',
    op: '<',
    target: 5,
    unit: '%',
    text: 'memory: during bulk transfer, GC < 5% of CPU time',
  },
  simDefault: {
    id: 'sim-default',
    bench: 'sim',
    op: '>=',
    target: 50,
    unit: '×',
    text: 'simulator: ≥ 50× real time on the default 10 Mbps preset',
  },
  sim100: {
    id: 'sim-100mbps',
    bench: 'sim',
    op: '>=',
    target: 10,
    unit: '×',
    text: 'simulator: ≥ 10× real time at 100 Mbps',
  },
  rsEncode: {
    id: 'fec-rs-encode',
    bench: 'fec',
    op: '>=',
    target: 300,
    unit: 'MB/s',
    text: 'FEC: Reed-Solomon (k=10, r=2) encode ≥ 300 MB/s',
  },
  rsDecode: {
    id: 'fec-rs-decode',
    bench: 'fec',
    op: '>=',
    target: 150,
    unit: 'MB/s',
    text: 'FEC: Reed-Solomon (k=10, r=2) decode ≥ 150 MB/s',
  },
  xorEncode: {
    id: 'fec-xor-encode',
    bench: 'fec',
    op: '>=',
    target: 1000,
    unit: 'MB/s',
    text: 'FEC: XOR encode ≥ 1000 MB/s',
  },
  xorDecode: {
    id: 'fec-xor-decode',
    bench: 'fec',
    op: '>=',
    target: 1000,
    unit: 'MB/s',
    text: 'FEC: XOR decode ≥ 1000 MB/s',
  },
} as const satisfies Record<string, Goal>;

export type GoalStatus = 'met' | 'not met' | 'n/a';

/** Whether `value` meets `goal`; 'n/a' without a goal or without a finite value. */
export function goalStatus(goal: Goal | undefined, value: number | undefined): GoalStatus {
  if (goal === undefined || value === undefined || !Number.isFinite(value)) return 'n/a';
  switch (goal.op) {
    case '>=':
      return value >= goal.target ? 'met' : 'not met';
    case '>':
      return value > goal.target ? 'met' : 'not met';
    case '<=':
      return value <= goal.target ? 'met' : 'not met';
    case '<':
      return value < goal.target ? 'met' : 'not met';
  }
}

const OP_SIGN: Record<GoalOp, string> = { '>=': '≥', '>': '>', '<=': '≤', '<': '<' };

/** The short form of a goal for a table cell: "≥ 1000 Mbit/s", "< 5%", "≥ 0.5×". */
export function formatGoal(goal: Goal | undefined): string {
  if (goal === undefined) return '–';
  const n = goal.target.toLocaleString('en-US');
  if (goal.unit === '%' || goal.unit === '×' || goal.unit.startsWith('/')) return `${OP_SIGN[goal.op]} ${n}${goal.unit}`;
  return `${OP_SIGN[goal.op]} ${n} ${goal.unit}`;
}
