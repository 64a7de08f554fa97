// The simulator's seeded PRNG. It is the same generator the runtime seeds for election jitter
// (machines/prng.ts), re-exported here so harness code has one import for it; a run of the
// simulator is a pure function of the seed given to it.
export { createPrng, type Prng } from '../../machines/prng.ts';
