/**
 * The FEC chart of a simulator report (specs/fec.md): per flow, the data sender's packets lost
 * and repair packets sent, and the data receiver's packets rebuilt from repairs, cumulative over
 * time, from the qlog events `quic:packet_lost`, `tquic:fec_repair_sent` and
 * `tquic:fec_packet_recovered`. No chart when no flow used FEC.
 */
import type { LoggedEvent } from '../qlog/index.js';
import type { ChartInput, FlowEvents, MetricSeries } from './report.js';

function cumulative(events: readonly LoggedEvent[], name: string, label: string): MetricSeries {
  const points = [{ t: 0, value: 0 }];
  let n = 0;
  for (const { time, event } of events) if (event.name === name) points.push({ t: time, value: ++n });
  return { label, points };
}

export function fecCharts(flows: readonly FlowEvents[]): ChartInput[] {
  const series: MetricSeries[] = [];
  const many = flows.length > 1;
  for (const f of flows) {
    const repairs = cumulative(f.sender, 'tquic:fec_repair_sent', `${many ? `${f.label} ` : ''}repairs sent`);
    const recovered = cumulative(f.receiver, 'tquic:fec_packet_recovered', `${many ? `${f.label} ` : ''}packets recovered`);
    if (repairs.points.length === 1 && recovered.points.length === 1) continue;
    series.push(cumulative(f.sender, 'quic:packet_lost', `${many ? `${f.label} ` : ''}packets lost`), repairs, recovered);
  }
  if (series.length === 0) return [];
  return [{ metric: 'packets', title: 'Forward error correction (cumulative)', note: "the data sender's lost packets and repairs sent; the data receiver's packets rebuilt from repairs", series }];
}
