/**
 * A cross-process lease on a name in KV: turns on one conversation name run one at a time even
 * when several processes share the store. Long holders renew it.
 * @module
 */

/** A cross-process lease on a conversation name. */
interface Lease {
  owner: string;
  until: number;
}

const LEASE_MS = 10 * 60_000;

/**
 * Takes the KV lease at `key` for `owner`, waiting while another process holds it.
 * @returns a function that releases the lease.
 */
export async function acquireLease(
  kv: Deno.Kv,
  key: Deno.KvKey,
  owner: string,
): Promise<() => Promise<void>> {
  let wait = 20;
  for (;;) {
    const entry = await kv.get<Lease>(key);
    if (entry.value && entry.value.owner !== owner && entry.value.until > Date.now()) {
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 500);
      continue;
    }
    const lease: Lease = { owner: owner, until: Date.now() + LEASE_MS };
    const result = await kv.atomic().check(entry).set(key, lease, { expireIn: LEASE_MS })
      .commit();
    if (!result.ok) continue;
    let versionstamp = result.versionstamp;
    // Long turns renew the lease so another process does not take the name mid-turn.
    const renew = setInterval(async () => {
      const next: Lease = { owner: owner, until: Date.now() + LEASE_MS };
      const renewed = await kv.atomic().check({ key, versionstamp })
        .set(key, next, { expireIn: LEASE_MS }).commit();
      if (renewed.ok) versionstamp = renewed.versionstamp;
    }, LEASE_MS / 3);
    return async () => {
      clearInterval(renew);
      await kv.atomic().check({ key, versionstamp }).delete(key).commit();
    };
  }
}
