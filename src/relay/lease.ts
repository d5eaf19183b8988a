// Who publishes: a lease in a JetStream KV bucket whose entries expire after
// LEASE_TTL_MS. The holder renews it with a revision-checked update well
// within that time; the others try to create the key, which succeeds only once
// it expired or was released. The stream's expected-sequence check, not the
// lease, is what keeps the stream correct if two relays ever overlap.
import type { KV } from "@nats-io/kv";
import { LEASE_KEY, LEASE_TTL_MS, encodeJson } from "../fleet/index.js";

export class Lease {
  private revision: number | undefined;

  constructor(
    private readonly kv: KV,
    private readonly holder: string,
  ) {}

  get held(): boolean {
    return this.revision !== undefined;
  }

  /** True when this relay now holds the lease. */
  async tryAcquire(): Promise<boolean> {
    try {
      this.revision = await this.kv.create(LEASE_KEY, this.value());
      return true;
    } catch {
      return false;
    }
  }

  /** Renews the lease; false (and no longer held) when another relay has it or NATS did not answer. */
  async renew(): Promise<boolean> {
    if (this.revision === undefined) return false;
    try {
      this.revision = await this.kv.update(LEASE_KEY, this.value(), this.revision);
      return true;
    } catch {
      this.revision = undefined;
      return false;
    }
  }

  /** Gives the lease up so another relay takes over at once instead of after the TTL. */
  async release(): Promise<void> {
    const rev = this.revision;
    this.revision = undefined;
    if (rev !== undefined) await this.kv.delete(LEASE_KEY, { previousSeq: rev }).catch(() => undefined);
  }

  private value(): Uint8Array {
    return encodeJson({ relay: this.holder, at: new Date().toISOString() });
  }
}

export const RENEW_EVERY_MS = Math.floor(LEASE_TTL_MS / 4);
