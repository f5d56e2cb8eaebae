/**
 * `tquic sim <preset|file.json> [--seed N] [--bytes N] [--crypto NAME] [--qlog-dir DIR]
 * [--report FILE] [--json]` and `tquic sim --list`: runs a scenario in the deterministic network
 * simulator, checks every connection with the qlog invariant checker, prints the results and
 * optionally writes one .sqlog file per connection and an HTML report with charts (for multipath
 * connections also per-path charts and a per-path table).
 *
 * Exit status: 0 when every flow completed with intact data and no invariant was violated,
 * 1 otherwise (the violations are printed with the seed that replays them), 2 for bad usage.
 */
import { fecCharts } from '../sim/report-fec.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIM_PROVIDER_NAMES, simProvider } from '../sim/providers.js';
import { JsonSeqWriter } from '../qlog/jsonseq.js';
import { MemorySink, teeSinks } from '../qlog/memory.js';
import type { QlogSink } from '../qlog/events.js';
import { formatViolations } from '../sim/checker.js';
import { describeScenario, PRESETS, PRESET_NAMES, preset } from '../sim/presets.js';
import { flowCharts, formatBitrate, formatBytes, formatDuration, renderReport, type FlowEvents, type SummaryRow } from '../sim/report.js';
import { pathCharts, pathTable, type PathFlowEvents, type PathTableEndpoint } from '../sim/report-paths.js';
import { runScenario, type RunOptions, type Scenario, type ScenarioResult, type SimMultipath } from '../sim/scenario.js';
import { schedulerNames } from '../paths/scheduler.js';
import { pathManagerNames } from '../connection/path-manager.js';
import { fecPolicyNames } from '../fec/policy.js';
import type { FecConfig } from '../connection/fec.js';
import { compareControllers, type CompareRun } from '../sim/compare.js';
import { compareReport, compareTable } from '../sim/report-compare.js';
import { congestionControllerNames } from '../recovery/cc/registry.js';
import { simCredentials } from '../sim/credentials.js';

/** The events of one flow's first connection, both halves, for the report. */
interface FlowQlog {
  client?: MemorySink;
  server?: MemorySink;
}

export default async function sim(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (values.list === true) {
    for (const name of PRESET_NAMES) process.stdout.write(`${name.padEnd(20)} ${describeScenario(PRESETS.get(name)!)}\n`);
    return 0;
  }
  const target = positionals[0];
  if (!target) {
    process.stderr.write(`tquic sim: name a preset (${PRESET_NAMES.join(', ')}) or a scenario file; --list shows the presets\n`);
    return 2;
  }
  const num = (k: string): number | undefined => {
    const v = values[k];
    if (typeof v !== 'string') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`--${k} must be a non-negative integer`);
    return n;
  };
  let scenario: Scenario;
  let seed: number | undefined;
  try {
    seed = num('seed');
    const bytes = num('bytes');
    if (PRESETS.has(target)) {
      scenario = preset(target, { ...(seed !== undefined ? { seed } : {}), ...(bytes !== undefined ? { bytes } : {}) });
    } else {
      scenario = JSON.parse(readFileSync(target, 'utf8')) as Scenario;
      if (bytes !== undefined && scenario.workload?.type === 'bulk') scenario.workload.bytes = bytes;
    }
  } catch (e) {
    process.stderr.write(`tquic sim: ${(e as Error).message}\n`);
    return 2;
  }
  if (typeof values.cc === 'string') {
    const cc = values.cc;
    if (!congestionControllerNames().includes(cc)) {
      process.stderr.write(`tquic sim: --cc: unknown congestion controller "${cc}" (known: ${congestionControllerNames().join(', ')})\n`);
      return 2;
    }
    scenario = {
      ...scenario,
      client: { ...scenario.client, transport: { ...scenario.client?.transport, congestionControl: cc } },
      server: { ...scenario.server, transport: { ...scenario.server?.transport, congestionControl: cc } },
    };
  }
  // Multipath scheduler and path manager, FEC policy: by registry name, on both ends of a
  // scenario that has multipath / FEC (a preset or a file), a plug-in's names included.
  const byName: { option: string; known: () => string[]; needs: 'multipath' | 'fec'; set: (side: { multipath?: SimMultipath; fec?: FecConfig }, name: string) => void }[] = [
    { option: 'scheduler', known: schedulerNames, needs: 'multipath', set: (side, n) => (side.multipath = { ...side.multipath, scheduler: n }) },
    { option: 'path-manager', known: pathManagerNames, needs: 'multipath', set: (side, n) => (side.multipath = { ...side.multipath, pathManager: n }) },
    { option: 'fec-policy', known: fecPolicyNames, needs: 'fec', set: (side, n) => (side.fec = { ...side.fec, policy: n }) },
  ];
  for (const o of byName) {
    const name = values[o.option];
    if (typeof name !== 'string') continue;
    if (!o.known().includes(name)) {
      process.stderr.write(`tquic sim: --${o.option}: unknown name "${name}" (known: ${o.known().join(', ')})\n`);
      return 2;
    }
    if (scenario.client?.[o.needs] === undefined && scenario.server?.[o.needs] === undefined) {
      process.stderr.write(`tquic sim: --${o.option}: scenario ${scenario.name} has no ${o.needs === 'fec' ? 'FEC' : 'multipath'} (client.${o.needs} / server.${o.needs})\n`);
      return 2;
    }
    const client = { ...scenario.client };
    const server = { ...scenario.server };
    for (const side of [client, server]) if (side[o.needs] !== undefined) o.set(side, name);
    scenario = { ...scenario, client, server };
  }
  const cryptoName = typeof values.crypto === 'string' ? values.crypto : 'node';
  if (!SIM_PROVIDER_NAMES.includes(cryptoName as never)) {
    process.stderr.write(`tquic sim: unknown crypto provider '${cryptoName}' (${SIM_PROVIDER_NAMES.join(', ')})\n`);
    return 2;
  }
  // Ed25519 signatures have a fixed size, so the same seed gives the same run; the chain is as
  // long as the scenario asks (amplificationlimit).
  const credentials = await simCredentials({ chainLength: scenario.server?.certChainLength ?? 1 });
  const qlogDir = typeof values['qlog-dir'] === 'string' ? values['qlog-dir'] : undefined;
  const reportFile = typeof values.report === 'string' ? values.report : undefined;
  const files: { name: string; chunks: string[] }[] = [];
  const perFlow = new Map<string, FlowQlog>();

  const sinkFor = (c: { flow: string; role: 'client' | 'server'; odcid: string }): QlogSink | undefined => {
    let file: QlogSink | undefined;
    if (qlogDir) {
      const f = { name: `${scenario.name}-${c.flow}-${c.odcid}-${c.role}.sqlog`, chunks: [] as string[] };
      files.push(f);
      file = new JsonSeqWriter({ write: (s) => void f.chunks.push(s), vantagePoint: c.role, title: `${scenario.name} ${c.flow}`, odcid: c.odcid });
    }
    let mem: MemorySink | undefined;
    if (reportFile) {
      const q = perFlow.get(c.flow) ?? {};
      // The first connection of each flow is charted.
      if (q[c.role] === undefined) {
        mem = new MemorySink();
        q[c.role] = mem;
        perFlow.set(c.flow, q);
      }
    }
    return teeSinks(file, mem);
  };

  if (typeof values['compare-cc'] === 'string') {
    const warmup = typeof values.warmup === 'string' ? Number(values.warmup) : 0;
    if (!(Number.isFinite(warmup) && warmup >= 0)) {
      process.stderr.write('tquic sim: --warmup must be a non-negative number of seconds\n');
      return 2;
    }
    return compare(scenario, values['compare-cc'], { provider: simProvider(cryptoName), credentials, ...(seed !== undefined ? { seed } : {}) }, reportFile, values.json === true, warmup * 1e6);
  }

  let result: ScenarioResult;
  try {
    result = runScenario(scenario, {
      provider: simProvider(cryptoName),
      credentials,
      ...(seed !== undefined ? { seed } : {}),
      ...(qlogDir || reportFile ? { qlog: sinkFor } : {}),
    });
  } catch (e) {
    process.stderr.write(`tquic sim: ${(e as Error).message}\n`);
    return 2;
  }
  if (qlogDir) {
    mkdirSync(qlogDir, { recursive: true });
    for (const f of files) writeFileSync(join(qlogDir, f.name), f.chunks.join(''));
  }
  const violations = result.checks?.violations ?? [];
  if (values.json === true) {
    process.stdout.write(JSON.stringify({ ...result, trace: undefined }, null, 2) + '\n');
  } else {
    for (const [k, v] of summaryRows(result)) process.stdout.write(`${k.padEnd(18)} ${v}\n`);
    if (qlogDir) process.stdout.write(`${'qlog'.padEnd(18)} ${files.length} files in ${qlogDir}\n`);
  }
  if (violations.length > 0) process.stderr.write(formatViolations(violations, result.seed) + '\n');
  if (reportFile) {
    const flows: FlowEvents[] = [];
    const mpFlows: PathFlowEvents[] = [];
    const mpEndpoints: PathTableEndpoint[] = [];
    for (const f of result.flows) {
      const q = perFlow.get(f.name);
      if (!q?.client || !q.server) continue;
      // Whoever sends the bulk of the data: the server of a download, the client of an upload.
      const w = f.workload === 'bulk' || f.workload === 'streams' ? (scenario.flows?.find((x) => x.name === f.name)?.workload ?? scenario.workload) : undefined;
      const upload = (w?.type === 'bulk' || w?.type === 'streams') && w.direction === 'upload';
      const fe: FlowEvents = { label: f.name, sender: (upload ? q.client : q.server).events, receiver: (upload ? q.server : q.client).events };
      flows.push(fe);
      // Multipath negotiated (draft-ietf-quic-multipath-21): the connection stats have paths.
      if (f.server?.paths !== undefined || f.client?.paths !== undefined) {
        mpFlows.push({ ...fe, senderRole: upload ? 'client' : 'server' });
        mpEndpoints.push({ flow: f.name, role: 'server', paths: f.server?.paths, events: q.server.events });
        mpEndpoints.push({ flow: f.name, role: 'client', paths: f.client?.paths, events: q.client.events });
      }
    }
    const summary: SummaryRow[] = summaryRows(result).map(([label, value]) => ({ label, value }));
    const html = await renderReport({
      title: `tquic sim ${scenario.name} (seed ${result.seed})`,
      summary,
      ...(mpEndpoints.length > 0 ? { tables: [pathTable(mpEndpoints)] } : {}),
      charts: [...flowCharts(flows), ...(mpFlows.length > 0 ? pathCharts(mpFlows) : []), ...fecCharts(flows)],
      endTime: result.completionTime,
    });
    writeFileSync(reportFile, html);
    if (values.json !== true) process.stdout.write(`${'report'.padEnd(18)} ${reportFile}\n`);
  }
  return result.completed && result.dataIntact ? 0 : 1;
}

function summaryRows(r: ScenarioResult): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['scenario', `${r.scenario} (seed ${r.seed})`],
    ['completed', String(r.completed)],
    ['data intact', String(r.dataIntact)],
    ['bytes', `${formatBytes(r.bytes)} of ${formatBytes(r.expectedBytes)}`],
    ['handshake', r.handshakeTime !== undefined ? formatDuration(r.handshakeTime) : '-'],
    ['completion', formatDuration(r.completionTime)],
    ['goodput', formatBitrate(r.goodput)],
    ['retransmissions', String(r.retransmissions)],
    ['checker', r.checks ? `${r.checks.connections} connections, ${r.checks.violations.length} violations` : 'off'],
  ];
  if (r.flows.length > 1 || r.flows[0]?.workload !== 'bulk') {
    for (const f of r.flows) {
      let line = `${f.workload}, ${f.completed ? 'completed' : 'NOT completed'} in ${formatDuration(f.duration)}, ${formatBitrate(f.goodput)}`;
      if (f.handshakes.attempted > 1) line += `, handshakes ${f.handshakes.completed}/${f.handshakes.attempted}`;
      const m = f.messages;
      if (m !== undefined && m.sent > 0) {
        const l = m.latency;
        line += `, messages ${m.received}/${m.sent}` + (l ? `, latency p50 ${formatDuration(l.p50)} p99 ${formatDuration(l.p99)}` : '');
      }
      rows.push([`flow ${f.name}`, line]);
    }
  }
  for (const f of r.flows) {
    // Forward error correction (specs/fec.md): what each side protected, and what the other rebuilt.
    const parts: string[] = [];
    for (const [from, to, dir] of [[f.server, f.client, 'server→client'], [f.client, f.server, 'client→server']] as const) {
      const s = from?.fec;
      if (s === undefined || s.sourcesSent === 0) continue;
      parts.push(`${dir}: ${s.encoder} (${s.policy}), ${s.sourcesSent} packets protected, ${s.repairsSent} repairs sent (${s.repairsLost} lost), ${to?.fec?.packetsRecovered ?? 0} packets recovered`);
    }
    if (parts.length > 0) rows.push([`fec ${f.name}`, parts.join('; ')]);
  }
  if (r.shared) rows.push(['fairness (Jain)', r.shared.jain.toFixed(3)]);
  for (const [name, c] of Object.entries(r.linkCounters)) {
    const drops = Object.entries(c.dropped).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
    rows.push([`link ${name}`, `${c.delivered} delivered, ${formatBytes(c.bytesDelivered)}${drops.length ? `, dropped ${drops.join(', ')}` : ''}`]);
  }
  return rows;
}

/** `--compare-cc a,b,c`: the scenario per controller and per mixed pair (sim/compare.ts). */
async function compare(scenario: Scenario, list: string, opts: RunOptions, reportFile: string | undefined, json: boolean, warmup: number): Promise<number> {
  const names = list.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  const known = congestionControllerNames();
  const unknown = names.filter((n) => !known.includes(n));
  if (names.length === 0 || unknown.length > 0) {
    process.stderr.write(`tquic sim: --compare-cc: ${names.length === 0 ? 'name at least one controller' : `unknown controller ${unknown.join(', ')}`} (known: ${known.join(', ')})\n`);
    return 2;
  }
  let runs: CompareRun[];
  try {
    runs = compareControllers(scenario, names, opts, { warmup });
  } catch (e) {
    process.stderr.write(`tquic sim: ${(e as Error).message}\n`);
    return 2;
  }
  const seed = runs[0]?.result.seed ?? 1;
  const table = compareTable(runs);
  if (json) {
    process.stdout.write(JSON.stringify(runs.map((r) => ({ label: r.label, controllers: r.controllers, completed: r.result.completed, metrics: r.metrics })), null, 2) + '\n');
  } else {
    const widths = table.columns.map((c, i) => Math.max(c.length, ...table.rows.map((row) => String(row[i]).length)));
    const line = (cells: (string | number)[]): string => cells.map((c, i) => String(c).padEnd(widths[i]!)).join('  ').trimEnd();
    process.stdout.write(`${line(table.columns)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
    for (const row of table.rows) process.stdout.write(`${line(row)}\n`);
  }
  for (const r of runs) {
    const v = r.result.checks?.violations ?? [];
    if (v.length > 0) process.stderr.write(`${r.label}: ${formatViolations(v, r.result.seed)}\n`);
  }
  if (reportFile) {
    writeFileSync(reportFile, await renderReport(compareReport(scenario.name, seed, runs)));
    if (!json) process.stdout.write(`${'report'.padEnd(18)} ${reportFile}\n`);
  }
  return runs.every((r) => r.result.completed && r.result.dataIntact) ? 0 : 1;
}

