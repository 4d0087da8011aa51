import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { Client } from 'graphql-ws';
import { Principal, signingKey, signPrincipal } from '../../subgraphs/shared/src/principal';
import { UpstreamSubscriptions } from '../../gateway/src/subscriptions/upstream';
import { Stack, waitFor } from '../helpers/harness';
import { collect, Received, wsClient } from '../helpers/ws';

const uid = () => randomBytes(4).toString('hex');
/** What the gateway's upstream subscription asks the events subgraph for, with the trader's email. */
const SUB = `subscription { conversionRecorded(filter: { eventTypes: [REGISTRATION] }) { id trader { email } } }`;

/**
 * The events subgraph's own WebSocket (the gateway's upstream), attacked directly: principals are
 * single-use there as on HTTP, and a connection lasts only as long as the gateway renews it.
 */
export function defineSubgraphWebSocketTests(stack: () => Stack): void {
  const eventsUrl = () => stack().subgraphUrls.events;
  const key = () => signingKey(stack().principalSecret);
  const reader = (): Principal => ({ tenantId: stack().tenantId, scopes: ['events:read'] });
  const sign = (ttlSeconds = 60, principal: Principal = reader()) => signPrincipal(principal, key(), ttlSeconds);

  /** Opens a graphql-ws connection to the events subgraph; resolves when acknowledged or closed. */
  async function open(principal: string) {
    const { client, closed } = wsClient(eventsUrl(), { principal });
    const outcome = await Promise.race([
      new Promise<{ connected: true }>((r) => client.on('connected', () => r({ connected: true }))),
      closed.then((c) => ({ connected: false as const, ...c })),
    ]);
    return { client, closed, outcome };
  }

  const subscribe = (client: Client, principal: string | undefined) => collect(client, SUB, {}, principal ? { principal } : undefined);

  const postToEvents = (principal: string) =>
    fetch(eventsUrl(), { method: 'POST', headers: { 'content-type': 'application/json', 'x-gateway-principal': principal }, body: JSON.stringify({ query: '{ __typename }' }) });

  const track = async (email: string) => {
    const res = await stack().gql(`mutation($e: String!) { trackEvent(input: { eventType: REGISTRATION, email: $e }) { id } }`, { e: email });
    expect(res.body.errors).toBeUndefined();
    return res.body.data.trackEvent.id as string;
  };

  describe("the events subgraph's WebSocket (principals are single-use, connections must be renewed)", () => {
    it('a principal already used over HTTP cannot open a WebSocket on the events subgraph; an unused one can', async () => {
      const used = await sign();
      expect((await postToEvents(used)).status).toBe(200);
      const replayed = await open(used);
      expect(replayed.outcome).toMatchObject({ connected: false, code: 4401 });
      await replayed.client.dispose();

      const fresh = await open(await sign());
      expect(fresh.outcome).toEqual({ connected: true });
      await fresh.client.dispose();
    });

    it('an expired principal cannot open a WebSocket on the events subgraph', async () => {
      const now = Math.floor(Date.now() / 1000);
      const k = key();
      const expired = await new SignJWT({ tid: stack().tenantId, scp: ['events:read'] })
        .setProtectedHeader({ alg: 'HS256', kid: k.kid })
        .setJti(uid())
        .setIssuer('referral-gateway')
        .setAudience('referral-subgraph')
        .setIssuedAt(now - 120)
        .setExpirationTime(now - 60)
        .sign(k.secret);
      const res = await open(expired);
      expect(res.outcome).toMatchObject({ connected: false, code: 4401 });
      await res.client.dispose();
    });

    it('a principal that opened one WebSocket cannot open a second one, nor serve an HTTP request', async () => {
      const token = await sign();
      const first = await open(token);
      expect(first.outcome).toEqual({ connected: true });
      const second = await open(token);
      expect(second.outcome).toMatchObject({ connected: false, code: 4401 });
      expect((await postToEvents(token)).status).toBe(401);
      await Promise.all([first.client.dispose(), second.client.dispose()]);
    });

    it('each subscription needs its own unused principal: a captured one streams no trader emails', async () => {
      const { client, outcome } = await open(await sign());
      expect(outcome).toEqual({ connected: true });
      const usedOnHttp = await sign();
      expect((await postToEvents(usedOnHttp)).status).toBe(200);
      const subs = [subscribe(client, usedOnHttp), subscribe(client, undefined)];
      const good = subscribe(client, await sign());
      try {
        await waitFor('the refusals', async () => (subs.every((s) => s.isDone()) ? true : undefined), [], 10_000);
        for (const s of subs) {
          expect(s.messages).toEqual([]);
          expect(JSON.stringify(s.error())).toContain('UNAUTHENTICATED');
        }
        // The same principal twice on one connection: the second subscribe is refused.
        const once = await sign();
        const [a, b] = [subscribe(client, once), subscribe(client, once)];
        await waitFor('one of the two to be refused', async () => (a.isDone() || b.isDone() ? true : undefined), [], 10_000);
        expect([a, b].filter((s) => s.isDone())).toHaveLength(1);
        a.unsubscribe();
        b.unsubscribe();

        // The control: a fresh principal per subscription streams the tenant's events.
        const email = `ws-${uid()}@x.io`;
        await waitFor('the event on the properly signed subscription', async () => {
          if (!good.messages.length) await track(email);
          return good.messages.find((m) => m.data?.conversionRecorded.trader?.email === email);
        }, [], 15_000);
        for (const s of subs) expect(s.messages).toEqual([]);
      } finally {
        good.unsubscribe();
        await client.dispose();
      }
    });

    it('a connection whose principal expires without renewal is closed with 4401, ending its subscriptions', async () => {
      const { client, closed, outcome } = await open(await sign(2));
      expect(outcome).toEqual({ connected: true });
      const sub = subscribe(client, await sign());
      try {
        const end = await Promise.race([closed, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
        expect(end).toMatchObject({ code: 4401, reason: expect.stringMatching(/expired/) });
        await waitFor('the subscription to end', async () => (sub.isDone() ? true : undefined), [], 5_000);
      } finally {
        sub.unsubscribe();
        await client.dispose();
      }
    });

    it("the gateway's upstream connection stays open past its principals' lifetime, because the gateway renews it", async () => {
      // The gateway's own client with 2 s principals renewed every 400 ms (the defaults are 60 s / 20 s).
      const upstream = new UpstreamSubscriptions(stack().principalSecret, { ttlSeconds: 2, renewEveryMs: 400 });
      const received: Received[] = [];
      let failed: unknown = null;
      const started = Date.now();
      const iterator = upstream.client(eventsUrl()).iterate({ query: SUB, extensions: { principal: await upstream.principalToken(reader()) } });
      const reading = (async () => {
        try {
          for await (const m of iterator) received.push(m as Received);
        } catch (err) {
          failed = err;
        }
      })();
      const failure = () => {
        if (!failed) return null;
        const { code, reason, message } = failed as { code?: number; reason?: string; message?: string };
        return new Error(`the upstream subscription ended: ${code ?? ''} ${reason ?? message ?? JSON.stringify(failed)}`);
      };
      try {
        await waitFor('the upstream stream to be live', async () => {
          if (failure()) throw failure();
          if (received.length) return true;
          await track(`early-${uid()}@x.io`);
          return undefined;
        }, [], 15_000);
        // Not readiness but the point of the test: time passes until every principal the connection started
        // with (2 s) has long expired; only the renewals keep it open.
        await new Promise((r) => setTimeout(r, Math.max(0, started + 5000 - Date.now())));
        expect(failure()).toBeNull();
        const email = `late-${uid()}@x.io`;
        await track(email);
        await waitFor('an event tracked after the first principals expired', async () => {
          if (failure()) throw failure();
          return received.find((m) => m.data?.conversionRecorded.trader?.email === email);
        }, [], 10_000);
        expect(failure()).toBeNull();
      } finally {
        await iterator.return?.(undefined);
        await upstream.dispose();
        await reading;
      }
    });
  });
}
