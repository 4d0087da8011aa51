import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { DataSource, EntityManager, In, IsNull } from 'typeorm';
import { isPostgres, logger, Logger, newId, openSecret, transaction } from '../../../shared/src';
import { isOptInPostbackType } from '../domain/correction-postbacks';
import { pinnedLookup, resolveAndCheck } from '../domain/postback-target';
import { nextAttemptDelayMs } from '../domain/retry-schedule';
import { webhookHeaders } from '../domain/webhook-signature';
import { DeliveryStatus, PostbackDelivery, PostbackEndpoint } from '../entities/postback.entity';
import { EventsConfig } from '../config';

/** An endpoint failing without a single success for this long is disabled. */
export const DISABLE_AFTER_FAILING_MS = 5 * 86_400_000;
const LEASE_MS = 60_000;
const BODY_EXCERPT = 1024;

export interface EventData {
  id: string;
  eventType: string;
  [field: string]: unknown;
}

/** The postback body: { id, type, timestamp, data } with FYNXT's Event object as data. */
export function postbackBody(messageId: string, event: EventData): string {
  return JSON.stringify({
    id: messageId,
    type: `referral_event.${String(event.eventType).toLowerCase()}`,
    timestamp: event.timestamp ?? new Date().toISOString(),
    data: postbackData(event),
  });
}

/** FYNXT's Event object: the `data` of an event postback (and of a correction postback, which adds to it). */
export function postbackData(event: EventData): Record<string, unknown> {
  return {
    id: event.id,
    eventType: event.eventType,
    customEventName: event.customEventName ?? null,
    clickId: event.clickId ?? null,
    clientId: event.traderId ?? null,
    traderId: event.traderId ?? null,
    partnerId: event.partnerId ?? null,
    linkId: event.linkId ?? null,
    attribution: event.attribution ?? null,
    amount: event.amount ?? null,
    currency: event.currency ?? null,
    isConversion: event.isConversion ?? false,
    isDuplicate: event.isDuplicate ?? false,
    timestamp: event.timestamp ?? null,
  };
}

/** Whether an endpoint wants a type: listed, or any event type under "*" (commission types and EVENT_CORRECTED are opt-in: never by "*"). */
export const subscribed = (endpoint: PostbackEndpoint, eventType: string) =>
  endpoint.eventTypes.includes(eventType) || (endpoint.eventTypes.includes('*') && !isOptInPostbackType(eventType));

/** One message (an event, or a commission change) queued for its first attempt. */
export interface FirstAttempt {
  tenantId: string;
  /** What the message id is keyed by: the event, or the fact. */
  key: string;
  eventId: string | null;
  eventType: string;
  body: (messageId: string) => string;
}

/**
 * Queues the first attempt of a message to every enabled endpoint that wants its type. The
 * message id is keyed by `key` and the endpoint, so a redelivered fact queues nothing twice
 * (unique message + attempt).
 */
export async function enqueueFirstAttempts(m: EntityManager, message: FirstAttempt): Promise<PostbackDelivery[]> {
  const endpoints = await m.getRepository(PostbackEndpoint).findBy({ tenantId: message.tenantId, enabled: true, deletedAt: IsNull() });
  const now = new Date();
  const rows = endpoints
    .filter((e) => subscribed(e, message.eventType))
    .map((e) => {
      const messageId = `msg_${message.key}_${e.id}`;
      return m.getRepository(PostbackDelivery).create({
        id: newId('pbd'),
        tenantId: message.tenantId,
        endpointId: e.id,
        messageId,
        eventId: message.eventId,
        eventType: message.eventType,
        isTest: false,
        status: DeliveryStatus.PENDING,
        attempt: 1,
        body: message.body(messageId),
        responseStatus: null,
        durationMs: null,
        error: null,
        nextAttemptAt: now,
        leaseUntil: null,
        createdAt: now,
        attemptedAt: null,
      });
    });
  if (rows.length) await m.getRepository(PostbackDelivery).createQueryBuilder().insert().values(rows).orIgnore().execute();
  return rows;
}

/** Queues the first attempt of an event to every enabled endpoint that wants it. */
export function enqueueEvent(m: EntityManager, tenantId: string, event: EventData): Promise<PostbackDelivery[]> {
  return enqueueFirstAttempts(m, { tenantId, key: event.id, eventId: event.id, eventType: event.eventType, body: (messageId) => postbackBody(messageId, event) });
}

interface Outcome {
  status: number | null;
  durationMs: number;
  error: string | null;
  retryAfter: string | null;
}

/**
 * Delivers due attempts: claims them with a lease (SKIP LOCKED on PostgreSQL, so any
 * number of workers share the queue), sends each on its own (a slow endpoint never holds
 * up another), and records the outcome, scheduling the next attempt when it failed.
 * A worker that dies mid-send leaves a lease that expires: the attempt is sent again.
 */
export class PostbackWorker {
  private timer: NodeJS.Timeout | null = null;
  private inFlight = new Set<Promise<void>>();
  private stopped = false;
  private polling = false;
  private readonly log: Logger;

  constructor(
    private readonly ds: DataSource,
    private readonly config: EventsConfig,
  ) {
    this.log = logger('events.postbacks');
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  nudge = (): void => {
    if (!this.stopped) this.schedule(0);
  };

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight]);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), ms);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const free = this.config.postbacks.concurrency - this.inFlight.size;
      if (free > 0) {
        for (const d of await this.claim(free)) this.track(this.attempt(d));
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'postback poll failed');
    } finally {
      this.polling = false;
      if (!this.stopped) this.schedule(this.config.postbacks.pollMs);
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      this.nudge();
    });
  }

  private async claim(limit: number): Promise<PostbackDelivery[]> {
    const now = new Date();
    return transaction(this.ds, async (m) => {
      const qb = m
        .getRepository(PostbackDelivery)
        .createQueryBuilder('d')
        .where('d.status = :pending AND d.next_attempt_at <= :now', { pending: DeliveryStatus.PENDING, now: param(m, now) })
        .andWhere('(d.lease_until IS NULL OR d.lease_until < :now)', { now: param(m, now) })
        .orderBy('d.next_attempt_at', 'ASC')
        .take(limit);
      if (isPostgres(this.ds)) qb.setLock('pessimistic_write').setOnLocked('skip_locked');
      const due = await qb.getMany();
      if (due.length) await m.getRepository(PostbackDelivery).update({ id: In(due.map((d) => d.id)) }, { leaseUntil: new Date(now.getTime() + LEASE_MS) });
      return due;
    });
  }

  /** Sends one attempt now and records it (also used by sendTestPostback and redeliverPostback). */
  async attempt(d: PostbackDelivery): Promise<void> {
    const endpoint = await this.ds.getRepository(PostbackEndpoint).findOneBy({ id: d.endpointId });
    if (!endpoint || endpoint.deletedAt || (!endpoint.enabled && !d.isTest)) {
      await this.ds.getRepository(PostbackDelivery).update({ id: d.id }, { status: DeliveryStatus.CANCELLED, leaseUntil: null, nextAttemptAt: null, error: 'the endpoint was deleted or disabled' });
      return;
    }
    const outcome = await this.send(endpoint, d);
    await this.record(endpoint, d, outcome);
  }

  private async send(endpoint: PostbackEndpoint, d: PostbackDelivery): Promise<Outcome> {
    const started = Date.now();
    const url = new URL(endpoint.url);
    const target = await resolveAndCheck(url, { allowInsecure: this.config.postbacks.allowInsecure });
    if (!target.ok) return { status: null, durationMs: Date.now() - started, error: `refused: ${target.reason}`, retryAfter: null };
    const secrets = [openSecret(endpoint.secretEnc, this.config.secretsKey).toString('utf8')];
    if (endpoint.previousSecretEnc && endpoint.previousSecretUntil && endpoint.previousSecretUntil > new Date()) {
      secrets.push(openSecret(endpoint.previousSecretEnc, this.config.secretsKey).toString('utf8'));
    }
    const headers = webhookHeaders(secrets, d.messageId, d.body);
    return new Promise<Outcome>((resolve) => {
      const client = url.protocol === 'https:' ? https : http;
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const req = client.request(
        {
          protocol: url.protocol,
          hostname: host,
          port: url.port || undefined,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: { ...headers, 'content-length': Buffer.byteLength(d.body) },
          // Connect to an address that was checked, not to a second DNS answer (http: and https: alike). No agent:
          // a pooled keep-alive socket would go to whatever address an earlier delivery checked.
          lookup: pinnedLookup(target.addresses),
          agent: false,
          // SNI carries host names only; for an IP literal there is none to send.
          servername: isIP(host) ? undefined : host,
          timeout: this.config.postbacks.timeoutMs,
        },
        (res) => {
          let excerpt = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (excerpt.length < BODY_EXCERPT) excerpt += chunk.slice(0, BODY_EXCERPT - excerpt.length);
          });
          res.on('end', () => {
            const ok = (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
            resolve({
              status: res.statusCode ?? null,
              durationMs: Date.now() - started,
              error: ok ? null : `HTTP ${res.statusCode}${excerpt ? `: ${excerpt}` : ''}`.slice(0, BODY_EXCERPT + 20),
              retryAfter: typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : null,
            });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.config.postbacks.timeoutMs} ms`)));
      req.on('error', (err) => resolve({ status: null, durationMs: Date.now() - started, error: err.message.slice(0, 500), retryAfter: null }));
      req.end(d.body);
    });
  }

  private async record(endpoint: PostbackEndpoint, d: PostbackDelivery, o: Outcome): Promise<void> {
    const now = new Date();
    const succeeded = o.status !== null && o.status >= 200 && o.status < 300;
    await transaction(this.ds, async (m) => {
      const deliveries = m.getRepository(PostbackDelivery);
      const endpoints = m.getRepository(PostbackEndpoint);
      const base = { responseStatus: o.status, durationMs: o.durationMs, error: o.error, attemptedAt: now, leaseUntil: null, nextAttemptAt: null };
      if (succeeded) {
        await deliveries.update({ id: d.id }, { ...base, status: DeliveryStatus.SUCCEEDED });
        if (endpoint.failingSince) await endpoints.update({ id: endpoint.id }, { failingSince: null });
        return;
      }
      const current = await endpoints.findOneByOrFail({ id: endpoint.id });
      const failingSince = current.failingSince ?? now;
      const gone = o.status === 410;
      const tooLong = now.getTime() - failingSince.getTime() >= DISABLE_AFTER_FAILING_MS;
      const delay = d.isTest || gone || tooLong ? null : nextAttemptDelayMs(this.config.postbacks.retrySchedule, d.attempt, o.retryAfter);
      await deliveries.update({ id: d.id }, { ...base, status: delay === null ? DeliveryStatus.FAILED : DeliveryStatus.RETRYING });
      if (delay !== null && !current.deletedAt) {
        await deliveries.insert({ ...d, id: newId('pbd'), attempt: d.attempt + 1, status: DeliveryStatus.PENDING, responseStatus: null, durationMs: null, error: null, nextAttemptAt: new Date(now.getTime() + delay), leaseUntil: null, createdAt: now, attemptedAt: null });
      }
      const disable = gone ? 'the endpoint answered 410 Gone' : tooLong ? 'every delivery failed for 5 days' : null;
      await endpoints.update({ id: endpoint.id }, { failingSince, ...(disable ? { enabled: false, disabledReason: disable, updatedAt: now } : {}) });
      if (disable) await cancelQueued(m, endpoint.id, `endpoint disabled: ${disable}`);
    });
  }
}

/** Queued attempts of an endpoint are cancelled (deliveries in flight complete). */
export async function cancelQueued(m: EntityManager, endpointId: string, why: string): Promise<number> {
  const res = await m
    .getRepository(PostbackDelivery)
    .createQueryBuilder()
    .update()
    .set({ status: DeliveryStatus.CANCELLED, nextAttemptAt: null, error: why })
    .where('endpoint_id = :endpointId AND status = :pending AND (lease_until IS NULL OR lease_until < :now)', { endpointId, pending: DeliveryStatus.PENDING, now: param(m, new Date()) })
    .execute();
  return res.affected ?? 0;
}

function param(m: EntityManager, d: Date): Date | string {
  return isPostgres(m.connection) ? d : d.toISOString().replace('T', ' ').replace('Z', '');
}
