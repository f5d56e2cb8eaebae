/** The table of `tquic` subcommands; `run` is absent for commands not built yet. */
export interface CommandModule {
  default(values: Record<string, string | boolean | Array<string | boolean> | undefined>, positionals: string[]): Promise<number>;
}

export interface Command {
  name: string;
  summary: string;
  usage?: string;
  options?: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean }>;
  optionHelp?: Record<string, string>;
  run?: () => Promise<CommandModule>;
}

export const COMMANDS: Command[] = [
  {
    name: 'demo',
    summary: 'run the built-in demonstration (what `npm start` runs)',
    options: { crypto: { type: 'string' } },
    optionHelp: { crypto: 'crypto provider: node or noble (default: both)' },
    run: () => import('./demo.js'),
  },
  { name: 'client', summary: 'connect to a QUIC server and download URLs (hq-interop, h3)' },
  { name: 'server', summary: 'serve files over QUIC (hq-interop, h3)' },
  {
    name: 'sim',
    summary: 'run a scenario in the deterministic network simulator',
    usage: '<preset|file.json> [options]   (tquic sim --list)',
    options: {
      list: { type: 'boolean' },
      seed: { type: 'string' },
      bytes: { type: 'string' },
      crypto: { type: 'string' },
      'qlog-dir': { type: 'string' },
      report: { type: 'string' },
      json: { type: 'boolean' },
    },
    optionHelp: {
      list: 'list the presets',
      seed: 'seed of the run (same seed, same run)',
      bytes: 'bytes to transfer (overrides the preset)',
      crypto: 'crypto provider: node (default) or noble',
      'qlog-dir': 'write one .sqlog file per connection and role here',
      report: 'write an HTML report with cwnd, bytes in flight, RTT and delivered-bytes charts',
      json: 'print the results as JSON',
    },
    run: () => import('./sim.js'),
  },
  {
    name: 'bench',
    summary: 'run a benchmark and print its figures as a table and JSON',
    usage: '<name> [options]   (names: crypto, handshake, core)',
    options: {
      json: { type: 'boolean' },
      out: { type: 'string' },
      iterations: { type: 'string' },
    },
    optionHelp: {
      json: 'print only the JSON document',
      out: 'also write the JSON document to this file',
      iterations: 'operations per measurement (default depends on the benchmark)',
    },
    run: () => import('../bench/main.js'),
  },
  {
    name: 'cert',
    summary: 'generate a self-signed development certificate and key',
    options: {
      out: { type: 'string', short: 'o' },
      hosts: { type: 'string' },
      'key-type': { type: 'string' },
      days: { type: 'string' },
    },
    optionHelp: {
      out: 'directory for cert.pem and key.pem (default: .)',
      hosts: 'comma-separated DNS names and IP addresses (default: localhost,127.0.0.1,::1)',
      'key-type': 'ecdsa-p256 (default), ed25519 or rsa',
      days: 'validity in days (default 30)',
    },
    run: () => import('./cert.js'),
  },
  { name: 'interop', summary: 'run interop test cases against a peer (quic-interop-runner contract)' },
];
