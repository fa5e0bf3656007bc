import fc from 'fast-check';
import { describe, it } from 'vitest';
import { properties } from './fuzz-properties.js';

// The unit tier runs each decoder property briefly; `npm run fuzz:host` runs a million cases each.
describe('host decoders under random and mutated input', () => {
  for (const { name, property } of properties()) {
    it(name, () => {
      fc.assert(property, { numRuns: 3000, seed: 20260601 });
    });
  }
});
