/**
 * qlog as JSON Text Sequences (draft-ietf-quic-qlog-main-schema §5 QlogFileSeq, §11.2; RFC 7464):
 * a header record (the QlogFileSeq with its TraceSeq), then one record per event. Every record
 * is `<RS 0x1e>` + one line of JSON + `\n`. Files using it SHOULD be named `*.sqlog` (§11.2), by
 * convention `<odcid>_<vantage point>.sqlog` (events §1.1).
 *
 * Pure formatting: the writer hands strings to `write` and owns no file, socket or clock (DESIGN
 * §1, §2). Deterministic: the same options and event sequence give byte-identical output — the
 * record's keys are written in a fixed order (time, name, data, tuple, group_id) and `data` is
 * serialised in its own insertion order, which every tquic producer builds in a fixed order.
 *
 * Time (main §7.1): `time` is a float64 of milliseconds, relative to the ReferenceTime, with µs
 * precision (Instants are µs, so e.g. 12345 µs → 12.345). Time 0 is `referenceInstant`, or the
 * first event's Instant. With a caller-supplied `referenceTime` (wall-clock ms at time 0) the
 * header says `clock_type: "system"` with that epoch; without one, `clock_type: "monotonic"`,
 * `epoch: "unknown"` (the simulator's virtual clock has no calendar time).
 */
import type { Instant } from '../util/time.js';
import type { QlogEvent, QlogEventName, QlogSink } from './events.js';
import { isAtLeast, type Importance } from './importance.js';
import { HTTP3_EVENT_SCHEMA } from './h3.js';

/** main §3.1: the QlogFileSeq schema URI. */
export const FILE_SCHEMA_SEQUENTIAL = 'urn:ietf:params:qlog:file:sequential';
/** main §11.2 / RFC 8091 */
export const SERIALIZATION_FORMAT_JSON_SEQ = 'application/qlog+json-seq';
/**
 * events §2.1: until the RFC exists, the schema URI carries the draft number. The local copy of
 * the draft is the editor's copy after -12 (its change log lists "since -12"), i.e. -13.
 */
export const QUIC_EVENT_SCHEMA = 'urn:ietf:params:qlog:events:quic-13';
/** main §9.1 / §9.2 */
export const LOGLEVEL_EVENT_SCHEMA = 'urn:ietf:params:qlog:events:loglevel';
/** The schema URI of the simulation event namespace (main §9.2). */
export const SIMULATION_EVENT_SCHEMA = 'urn:ietf:params:qlog:events:simulation';
/** events §8.13 / main §8: tquic:* events and extension frames have no registered schema URI. */
export const DEFAULT_EVENT_SCHEMAS: readonly string[] = [QUIC_EVENT_SCHEMA, HTTP3_EVENT_SCHEMA, LOGLEVEL_EVENT_SCHEMA, SIMULATION_EVENT_SCHEMA];

/** RFC 7464 §2.1 record separator. */
export const RS = '\x1e';

/**
 * Options of JsonSeqWriter: where records go, the file's title and description, the vantage
 * point, the trace's group and reference time, the event schemas, and the importance logged.
 */
export interface JsonSeqWriterOptions {
  /** Receives the output, one complete record per call. */
  write: (chunk: string) => void;
  /** main §3: free-text title / description of the file (also used as the trace's title). */
  title?: string;
  description?: string;
  /** main §6 */
  vantagePoint: 'client' | 'server' | 'network';
  /** main §6: a name for the vantage point; default "tquic". */
  vantagePointName?: string;
  /** main §6: required for "network" (default "unknown" there); ignored otherwise. */
  flow?: 'client' | 'server' | 'unknown';
  /** The original destination connection ID as hex: the trace's `group_id` (events §1.1). */
  odcid?: string;
  /** Wall-clock ms since 1970 at time 0. Supplied by the edge; the writer never reads a clock. */
  referenceTime?: number;
  /** The Instant (µs) that is time 0; default the first event's. */
  referenceInstant?: Instant;
  /** main §4.2 event_schemas; default DEFAULT_EVENT_SCHEMAS. */
  eventSchemas?: readonly string[];
  /** main §8.3: log only events at least this important; default "extra" (everything). */
  importance?: Importance;
}

/** main §7.1 ReferenceTime */
interface ReferenceTime {
  clock_type: 'system' | 'monotonic';
  epoch: string;
}

/** The header record's object (main §5, §5.1), in a fixed key order. */
export function jsonSeqHeader(o: Omit<JsonSeqWriterOptions, 'write'>): Record<string, unknown> {
  let reference_time: ReferenceTime;
  if (o.referenceTime !== undefined) {
    if (!Number.isFinite(o.referenceTime)) throw new RangeError(`referenceTime must be finite, got ${o.referenceTime}`);
    // RFC 3339 (main §7.1); formatting a given number reads no clock.
    reference_time = { clock_type: 'system', epoch: new Date(o.referenceTime).toISOString() };
  } else {
    reference_time = { clock_type: 'monotonic', epoch: 'unknown' };
  }
  const common_fields: Record<string, unknown> = {};
  if (o.odcid !== undefined) common_fields.group_id = o.odcid;
  common_fields.time_format = 'relative_to_epoch';
  common_fields.reference_time = reference_time;

  const vantage_point: Record<string, unknown> = { name: o.vantagePointName ?? 'tquic', type: o.vantagePoint };
  if (o.vantagePoint === 'network') vantage_point.flow = o.flow ?? 'unknown';

  const trace: Record<string, unknown> = {};
  if (o.title !== undefined) trace.title = o.title;
  if (o.description !== undefined) trace.description = o.description;
  trace.common_fields = common_fields;
  trace.vantage_point = vantage_point;
  trace.event_schemas = [...(o.eventSchemas ?? DEFAULT_EVENT_SCHEMAS)];

  // main §3: file_schema and serialization_format SHOULD be within the first 256 bytes.
  const header: Record<string, unknown> = { file_schema: FILE_SCHEMA_SEQUENTIAL, serialization_format: SERIALIZATION_FORMAT_JSON_SEQ };
  if (o.title !== undefined) header.title = o.title;
  if (o.description !== undefined) header.description = o.description;
  header.trace = trace;
  return header;
}

/** Streams qlog events as JSON-SEQ records. Writes the header record on construction. */
export class JsonSeqWriter implements QlogSink {
  private readonly out: (chunk: string) => void;
  private readonly level: Importance;
  private reference: Instant | undefined;
  /** Events written (not counting the header). */
  count = 0;

  constructor(o: JsonSeqWriterOptions) {
    this.out = o.write;
    this.level = o.importance ?? 'extra';
    this.reference = o.referenceInstant;
    this.out(RS + JSON.stringify(jsonSeqHeader(o)) + '\n');
  }

  wants(name: QlogEventName): boolean {
    return isAtLeast(name, this.level);
  }

  /**
   * Writes one event as a JSON-SEQ record (RFC 7464), its time in ms since `referenceInstant`
   * (default: the first event's time); events below the `importance` logged are dropped.
   */
  event(time: Instant, e: QlogEvent): void {
    if (!isAtLeast(e.name, this.level)) return;
    if (this.reference === undefined) this.reference = time;
    // µs precision: Instants are integers of µs, so /1000 prints at most three decimals.
    const ms = Math.round(time - this.reference) / 1000;
    let s = `${RS}{"time":${JSON.stringify(ms)},"name":${JSON.stringify(e.name)},"data":${JSON.stringify(e.data)}`;
    if (e.tuple !== undefined) s += `,"tuple":${JSON.stringify(e.tuple)}`;
    if (e.group_id !== undefined) s += `,"group_id":${JSON.stringify(e.group_id)}`;
    this.out(s + '}\n');
    this.count++;
  }
}

/**
 * Splits a JSON-SEQ text into its parsed records (RFC 7464 §2.2: split on RS, parse each; an
 * empty leading piece is skipped). Throws SyntaxError on a record that is not valid JSON.
 */
export function parseJsonSeq(text: string): unknown[] {
  const out: unknown[] = [];
  for (const piece of text.split(RS)) {
    if (piece.length === 0) continue;
    out.push(JSON.parse(piece));
  }
  return out;
}
