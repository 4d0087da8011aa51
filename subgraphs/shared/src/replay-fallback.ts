import { Degradation } from './degraded';
import { MemoryReplayGuard, ReplayGuard } from './principal';

/**
 * While Redis is away, a principal token is accepted only within this long of being signed
 * (the gateway signs one per fetch and sends it at once), and remembered by this process
 * alone for as long: a token captured then could be replayed to another replica within
 * this window, not for its whole lifetime.
 */
export const REPLAY_FALLBACK_WINDOW_MS = 10_000;

/**
 * The replicas' shared replay guard (Redis), with a per-process fallback of a shorter
 * lifetime while it is unavailable (a warning and the `rgw_degraded` metrics say so).
 */
export class FallbackReplayGuard implements ReplayGuard {
  private readonly local = new MemoryReplayGuard();
  /** Until when tokens remembered during an outage may come back (they are not in Redis). */
  private localUntil = 0;

  constructor(
    private readonly shared: ReplayGuard,
    private readonly degradation: Degradation,
    private readonly windowMs = REPLAY_FALLBACK_WINDOW_MS,
  ) {}

  async firstUse(jti: string, expiresAt: number, issuedAt = 0): Promise<boolean> {
    const now = Date.now();
    let first: boolean;
    try {
      first = await this.shared.firstUse(jti, expiresAt, issuedAt);
    } catch (err) {
      this.degradation.fellBack(err);
      const until = Math.min(expiresAt, issuedAt + this.windowMs);
      if (until <= now) return false;
      this.localUntil = Math.max(this.localUntil, until);
      return this.local.firstUse(jti, until);
    }
    this.degradation.recovered();
    // A token first used during the outage is only in this process's memory.
    if (first && now < this.localUntil) return this.local.firstUse(jti, Math.min(expiresAt, this.localUntil));
    return first;
  }
}
