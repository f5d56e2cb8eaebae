/**
 * The qlog sink registry: where a connection's qlog events go, chosen by name like congestion
 * controllers and schedulers, so an experiment can bring its own sink (a live plot, a filter, a
 * database) and select it from options (the socket API's `qlogSink`, a plug-in's `qlogSinks`).
 *
 * A factory is called once per connection with what names the trace (role and original
 * destination connection ID, qlog main §6.1 / events §1.1) and the options given with the name;
 * it returns the sink, or undefined to log nothing for that connection. Built in (no file I/O at
 * this layer): 'memory' (a MemorySink, handed to `options.collect(sink, context)`), 'jsonseq'
 * (JSON-SEQ text, qlog main §11.2, handed to `options.write(chunk, context)`, at
 * `options.importance`), 'null' (nothing). Files are the socket API's own `qlogDir` option.
 */
import { JsonSeqWriter } from './jsonseq.js';
import { MemorySink } from './memory.js';
import type { Importance } from './importance.js';
import type { QlogSink } from './events.js';

/** What a sink factory learns about the connection it logs. */
export interface QlogSinkContext {
  role: 'client' | 'server';
  /** The original destination connection ID in hex: the trace's group ID (qlog main §6.1). */
  odcid: string;
}

/** Options are plain data (from a config file or the CLI) plus, for the built-ins, callbacks. */
export type QlogSinkOptions = Readonly<Record<string, unknown>>;

/** Makes the sink of one connection (undefined: no qlog for it). */
export type QlogSinkFactory = (context: QlogSinkContext, options: QlogSinkOptions) => QlogSink | undefined;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function callback<T extends (...args: never[]) => unknown>(sink: string, options: QlogSinkOptions, key: string): T {
  const f = options[key];
  if (typeof f !== 'function') throw new TypeError(`qlog sink "${sink}": options.${key} must be a function`);
  return f as T;
}

const factories = new Map<string, QlogSinkFactory>([
  [
    'memory',
    (context, options) => {
      const collect = callback<(sink: MemorySink, context: QlogSinkContext) => void>('memory', options, 'collect');
      const sink = new MemorySink();
      collect(sink, context);
      return sink;
    },
  ],
  [
    'jsonseq',
    (context, options) => {
      const write = callback<(chunk: string, context: QlogSinkContext) => void>('jsonseq', options, 'write');
      const importance = (options['importance'] as Importance | undefined) ?? 'extra';
      return new JsonSeqWriter({ write: (chunk) => write(chunk, context), importance, vantagePoint: context.role, odcid: context.odcid });
    },
  ],
  ['null', () => undefined],
]);

/**
 * Adds a sink under `name` (letters, digits, '.', '_', '-'). RangeError for an invalid name or
 * one that is taken: a name always means one sink. (The socket API registers 'file' itself.)
 */
export function registerQlogSink(name: string, factory: QlogSinkFactory): void {
  if (typeof name !== 'string' || !NAME_RE.test(name)) throw new RangeError(`invalid qlog sink name ${JSON.stringify(name)}`);
  if (typeof factory !== 'function') throw new TypeError(`qlog sink "${name}": the factory must be a function`);
  if (factories.has(name)) throw new RangeError(`qlog sink "${name}" is already registered`);
  factories.set(name, factory);
}

/** Creates the sink `name` for one connection; RangeError for an unknown name (listing the known ones). */
export function createQlogSink(name: string, context: QlogSinkContext, options: QlogSinkOptions = {}): QlogSink | undefined {
  const f = factories.get(name);
  if (f === undefined) throw new RangeError(`unknown qlog sink "${name}" (known: ${qlogSinkNames().join(', ')})`);
  return f(context, options);
}

/** Whether `name` is registered. */
export function hasQlogSink(name: string): boolean {
  return factories.has(name);
}

/** The registered names: the built-ins first, then in registration order. */
export function qlogSinkNames(): string[] {
  return [...factories.keys()];
}

