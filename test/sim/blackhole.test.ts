/** Blackhole preset: PTO backs off while the link is down, and the transfer resumes after it. */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../src/crypto/index.js';
import { generateDevCertificate } from '../../src/crypto/certgen.js';
import { loadCredentials } from '../../src/crypto/tls/certificates.js';
import { MemorySink } from '../../src/qlog/memory.js';
import { preset, runScenario } from '../../src/sim/index.js';

const S = 1_000_000;

describe('blackhole', () => {
  it('probes back off exponentially during the 2 s outage and data flows again afterwards', async () => {
    const pem = await generateDevCertificate({ keyType: 'ed25519', notBefore: new Date(Date.UTC(2026, 0, 1)), days: 3650 });
    const server = new MemorySink();
    const client = new MemorySink();
    const r = runScenario(preset('blackhole', { seed: 2, bytes: 8 << 20 }), {
      provider: getProvider('node'),
      credentials: loadCredentials(pem.certPem, pem.keyPem),
      serverQlog: server,
      clientQlog: client,
    });
    expect(r.completed).toBe(true);
    expect(r.dataIntact).toBe(true);
    // The transfer spans the first outage (5 s to 7 s).
    expect(r.completionTime).toBeGreaterThan(7 * S);
    const sent = server.events.filter((e) => e.event.name === 'quic:packet_sent').map((e) => e.time);
    // Packets sent while the link was down, after the first one that could not be acknowledged.
    const during = sent.filter((t) => t > 5.2 * S && t < 7 * S);
    const gaps: number[] = [];
    for (let i = 1; i < during.length; i++) if (during[i]! - during[i - 1]! > 1_000) gaps.push(during[i]! - during[i - 1]!);
    expect(gaps.length).toBeGreaterThanOrEqual(2);
    // Each probe interval at least doubles (RFC 9002 §6.2.1), allowing for timer rounding.
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(1.8 * gaps[i - 1]!);
    expect(server.events.some((e) => e.time > 5 * S && e.time < 7 * S && e.event.name === 'quic:recovery_metrics_updated')).toBe(true);
    // After the link is back, the client receives stream data again.
    const received = client.events.filter((e) => e.event.name === 'quic:packet_received' && e.time > 7 * S);
    expect(received.length).toBeGreaterThan(100);
  }, 30_000);
});
