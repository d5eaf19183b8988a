// Who publishes: a lease in a JetStream KV bucket whose entries expire after
// LEASE_TTL_MS. The holder renews it with a revision-checked update well
// within that time; the others try to create the key, which succeeds only once
// it expired or was released. The stream's expected-sequence check, not the
// lease, is what keeps the stream correct if two relays ever overlap.
import type { KV } from "@nats-io/kv";
import { LEASE_KEY, LEASE_TTL_MS, encodeJson } from "../fleet/index.js";

export const RENEW_EVERY_MS = Math.floor(LEASE_TTL_MS / 4);

export class Lease {
  private revision: number | undefined;
  private renewedAt = 0;

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
      this.renewedAt = Date.now();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Renews the lease; false (and no longer held) when another relay has it, or
   * when NATS has not confirmed a renewal for nearly a TTL. A renewal that only
   * timed out (a busy server) keeps the lease while the last confirmed one lasts:
   * giving it up at the first slow answer made leadership flap under load.
   */
  async renew(): Promise<boolean> {
    if (this.revision === undefined) return false;
    try {
      this.revision = await this.kv.update(LEASE_KEY, this.value(), this.revision);
      this.renewedAt = Date.now();
      return true;
    } catch (e) {
      const refused = /wrong last sequence/i.test((e as Error).message);
      if (refused ? await this.stillOurs() : Date.now() - this.renewedAt < LEASE_TTL_MS - RENEW_EVERY_MS) return true;
      this.revision = undefined;
      return false;
    }
  }

  /**
   * After a refused update: a renewal whose answer timed out may have been
   * written all the same, leaving this relay's revision behind its own entry.
   */
  private async stillOurs(): Promise<boolean> {
    try {
      const e = await this.kv.get(LEASE_KEY);
      if (e === null || e.operation !== "PUT" || (e.json() as { relay?: unknown }).relay !== this.holder) return false;
      this.revision = e.revision;
      // Counted from before the entry could have been written, to stay on the safe side of its expiry.
      this.renewedAt = Math.min(this.renewedAt + RENEW_EVERY_MS, Date.now());
      return true;
    } catch {
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

