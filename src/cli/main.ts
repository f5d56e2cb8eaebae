/**
 * The `tquic` command. Each subcommand lives in its own module and is loaded on demand, so
 * `tquic --help` stays fast and a subcommand's dependencies load only when it runs.
 */
import { parseArgs } from 'node:util';
import { COMMANDS, type Command } from './commands.js';

const VERSION = '0.1.0';

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}${c.run ? '' : '  (not built yet)'}`);
  return [
    'tquic — a userspace QUIC transport for protocol tests and interop experiments',
    '',
    'Usage: tquic <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    '  -h, --help     show this help (or a command\'s help: tquic <command> --help)',
    '  -V, --version  print the version',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    const cmd = topic ? COMMANDS.find((c) => c.name === topic) : undefined;
    process.stdout.write((cmd ? commandHelp(cmd) : usage()) + '\n');
    return 0;
  }
  if (first === '-V' || first === '--version') {
    process.stdout.write(`tquic ${VERSION}\n`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === first);
  if (!cmd) {
    process.stderr.write(`tquic: unknown command '${first}'\n\n${usage()}\n`);
    return 2;
  }
  if (!cmd.run) {
    process.stderr.write(`tquic ${cmd.name}: not built yet in this version (planned: ${cmd.summary}).\n`);
    return 1;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    process.stdout.write(commandHelp(cmd) + '\n');
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: cmd.options ?? {}, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`tquic ${cmd.name}: ${(e as Error).message}\n\n${commandHelp(cmd)}\n`);
    return 2;
  }
  const plugins = parsed.values['plugin'];
  if (Array.isArray(plugins)) {
    const { loadPlugin } = await import('../plugins/index.js');
    for (const spec of plugins) {
      try {
        const p = await loadPlugin(String(spec));
        const what = [...p.congestionControllers.map((n) => `congestion controller ${n}`), ...p.schedulers.map((n) => `scheduler ${n}`), ...p.fecPolicies.map((n) => `FEC policy ${n}`), ...p.pathManagers.map((n) => `path manager ${n}`), ...p.qlogSinks.map((n) => `qlog sink ${n}`)];
        process.stderr.write(`tquic ${cmd.name}: plug-in ${p.name}: ${what.length > 0 ? what.join(', ') : 'nothing registered'}\n`);
      } catch (e) {
        process.stderr.write(`tquic ${cmd.name}: --plugin ${String(spec)}: ${(e as Error).message}\n`);
        return 2;
      }
    }
  }
  const mod = await cmd.run();
  return mod.default(parsed.values, parsed.positionals);
}

function commandHelp(cmd: Command): string {
  const opts = Object.entries(cmd.options ?? {}).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ' <value>' : ''}`;
    return `  ${flag.padEnd(28)} ${cmd.optionHelp?.[name] ?? ''}`;
  });
  return [`Usage: tquic ${cmd.name} ${cmd.usage ?? '[options]'}`, '', cmd.summary, ...(opts.length ? ['', 'Options:', ...opts] : [])].join('\n');
}
