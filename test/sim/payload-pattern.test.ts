/** The workload payload generator and checker agree with the per-byte definition. */
import { expect, it } from 'vitest';
import { checkPayload, messageByte, messagePayload } from '../../src/sim/workload.js';
it('fast payload matches messageByte', () => {
  for (const [key, off, len] of [[0, 0, 1000], [3, 255, 700], [9, 65530, 300], [1, (1 << 24) - 5, 600], [300, 12345, 4000]]) {
    const b = messagePayload(key!, off!, len!);
    for (let i = 0; i < len!; i++) expect(b[i]).toBe(messageByte(key!, off! + i));
    expect(checkPayload(key!, off!, b)).toBe(true);
    b[len! - 1]! ^= 1;
    expect(checkPayload(key!, off!, b)).toBe(false);
  }
});
