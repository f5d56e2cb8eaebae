/**
 * fast-check with a fixed seed: property tests are deterministic (CI replays the same cases).
 * Override with FC_SEED=<n> to explore; a failure prints the seed and path to replay it.
 */
import fc from 'fast-check';

const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 0x7a51c;
fc.configureGlobal({ seed, numRuns: Number(process.env.FC_RUNS ?? 200) });

export { fc };
export default fc;
