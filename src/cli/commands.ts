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
    summary: 'a loopback download over real UDP with a hash check (what `npm start` runs)',
    options: { crypto: { type: 'string' }, bytes: { type: 'string' } },
    optionHelp: { crypto: 'crypto provider: node (default) or noble', bytes: 'size of the served file (default 20 MB)' },
    run: () => import('./demo.js'),
  },
  {
    name: 'client',
    summary: 'connect to a QUIC server and download URLs (HTTP/3 or hq-interop)',
    usage: 'URL... [options]',
    options: {
      output: { type: 'string', short: 'o' },
      alpn: { type: 'string' },
      insecure: { type: 'boolean' },
      ca: { type: 'string' },
      'qlog-dir': { type: 'string' },
      keylog: { type: 'string' },
      cc: { type: 'string' },
      crypto: { type: 'string' },
      'key-update': { type: 'boolean' },
      'cipher-suites': { type: 'string' },
      version: { type: 'string' },
      versions: { type: 'string' },
      timeout: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
    },
    optionHelp: {
      output: 'directory for the downloaded files (default: .)',
      alpn: 'application protocols to offer: h3 (default), hq-interop, or both (h3,hq-interop)',
      insecure: 'do not verify the server certificate',
      ca: 'PEM file of the certificate authority to trust',
      'qlog-dir': 'write a .sqlog file per connection here (or QLOGDIR)',
      keylog: 'append TLS secrets in NSS key log format (or SSLKEYLOGFILE)',
      cc: 'congestion controller: cubic (default), newreno',
      crypto: 'crypto provider: node (default) or noble',
      'key-update': 'start a 1-RTT key update during the downloads (RFC 9001 §6)',
      'cipher-suites': 'TLS cipher suites to offer, comma-separated (e.g. TLS_CHACHA20_POLY1305_SHA256 or chacha20)',
      version: 'QUIC version of the first packets: v1 (default) or v2',
      versions: 'QUIC versions the server may switch to, in preference order (default: --version, then v1,v2)',
      timeout: 'seconds to wait for the handshake to complete (default 10)',
      verbose: 'print the negotiated ALPN and cipher suite, and warnings',
    },
    run: () => import('./client.js'),
  },
  {
    name: 'server',
    summary: 'serve files over QUIC (HTTP/3 and hq-interop)',
    usage: '--cert FILE --key FILE [options]',
    options: {
      cert: { type: 'string' },
      key: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      root: { type: 'string' },
      alpn: { type: 'string' },
      'qlog-dir': { type: 'string' },
      keylog: { type: 'string' },
      cc: { type: 'string' },
      crypto: { type: 'string' },
      'cipher-suites': { type: 'string' },
      versions: { type: 'string' },
      retry: { type: 'boolean' },
      'max-connections': { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
    },
    optionHelp: {
      cert: 'PEM certificate chain (tquic cert makes one)',
      key: 'PEM private key',
      host: 'address to listen on (default 127.0.0.1; :: for dual-stack)',
      port: 'UDP port (default 4433; 0 picks a free one)',
      root: 'directory whose files are served (default: .)',
      alpn: 'application protocols to serve (default h3,hq-interop)',
      'qlog-dir': 'write a .sqlog file per connection here (or QLOGDIR)',
      keylog: 'append TLS secrets in NSS key log format (or SSLKEYLOGFILE)',
      cc: 'congestion controller: cubic (default), newreno',
      crypto: 'crypto provider: node (default) or noble',
      'cipher-suites': 'TLS cipher suites to accept, comma-separated, in preference order',
      versions: 'QUIC versions to accept, in preference order (default v1,v2; v2,v1 switches v1 clients offering v2)',
      retry: 'send Retry (not built yet)',
      'max-connections': 'refuse connections beyond this many',
      verbose: 'log connections, requests and warnings',
    },
    run: () => import('./server.js'),
  },
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
    usage: '<name> [options]   (names: crypto, handshake, core, sim, loopback, interop)',
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
      host: { type: 'string', multiple: true },
      hosts: { type: 'string' },
      'key-type': { type: 'string' },
      days: { type: 'string' },
    },
    optionHelp: {
      out: 'directory for cert.pem and key.pem (default: .)',
      host: 'a DNS name or IP address the certificate is for (repeatable)',
      hosts: 'comma-separated DNS names and IP addresses (default: localhost,127.0.0.1,::1)',
      'key-type': 'ecdsa-p256 (default), ed25519 or rsa',
      days: 'validity in days (default 30)',
    },
    run: () => import('./cert.js'),
  },
  { name: 'interop', summary: 'run interop test cases against a peer (quic-interop-runner contract)' },
];
