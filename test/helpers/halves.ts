/**
 * Clients for group-commit tests: each sets a fresh key, then sends its next change after an I/O
 * round trip (here: the next event-loop turn), as a keep-alive HTTP client does after its answer.
 */
import type { MapStore } from '../../runtime/storage/types.js';

export function roundTripClients(map: MapStore): (rounds: number) => Promise<void> {
  let n = 0;
  return async (rounds) => {
    for (let i = 0; i < rounds; i++) {
      await map.set(null, `k${n++}`, i);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
}
