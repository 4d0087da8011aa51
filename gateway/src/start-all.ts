import 'reflect-metadata';
import { createBus, createPubSub } from '../../subgraphs/shared/src/bus/index';
import { EnvReader, redactUrl, RunningService, runMain, SharedInfra, SharedSecrets } from '../../subgraphs/shared/src';
import { loadOrCreateSecrets } from './embedded-secrets';
import { readCommissionsConfig } from '../../subgraphs/commissions/src/config';
import { start as startCommissions } from '../../subgraphs/commissions/src/server';
import { readEventsConfig } from '../../subgraphs/events/src/config';
import { start as startEvents } from '../../subgraphs/events/src/server';
import { readKycConfig } from '../../subgraphs/kyc/src/config';
import { start as startKyc } from '../../subgraphs/kyc/src/server';
import { readLinksConfig } from '../../subgraphs/links/src/config';
import { start as startLinks } from '../../subgraphs/links/src/server';
import { readGatewayConfig } from './config';
import { ensureDemo } from './demo';
import { clientIdProblem, clientSecretProblem } from './auth/tokens';
import { start as startGateway } from './server';

/**
 * `npm start`: the gateway and the four subgraphs in one process, sharing one bus and
 * one pub/sub (in-process by default; Redis when REDIS_URL is set), with a demo tenant
 * and key printed. The same services run one per container in production.
 */
export async function startAll(environment: Record<string, string | undefined>): Promise<RunningService[]> {
  const env = new EnvReader(environment);
  const quiet = env.optional('LOG_LEVEL') ? {} : { logLevel: 'warn' as const };
  const gatewayRead = readGatewayConfig(env, { standalone: false });
  const linksRead = readLinksConfig(env, { standalone: false });
  const events0 = readEventsConfig(env, { standalone: false });
  const kyc0 = readKycConfig(env, { standalone: false });
  const commissions0 = readCommissionsConfig(env, { standalone: false });
  const demoKey = env.optional('DEMO_API_KEY');
  const demoClientId = env.optional('DEMO_CLIENT_ID');
  const demoClientSecret = env.optional('DEMO_CLIENT_SECRET');
  if (!!demoClientId !== !!demoClientSecret) env.problems.push('DEMO_CLIENT_ID and DEMO_CLIENT_SECRET go together');
  const demoIdProblem = demoClientId && clientIdProblem(demoClientId);
  if (demoIdProblem) env.problems.push(`DEMO_CLIENT_ID: ${demoIdProblem}`);
  const demoSecretProblem = demoClientSecret && clientSecretProblem(demoClientSecret);
  if (demoSecretProblem) env.problems.push(`DEMO_CLIENT_SECRET: ${demoSecretProblem}`);
  const publicUrlSet = !!env.optional('PUBLIC_URL');
  env.done();

  // Unset secrets come from DATA_DIR/secrets.json, created on the first start.
  const stored = loadOrCreateSecrets(gatewayRead.dataDir);
  const withSecrets = <T extends { principalSecrets: string[] }>(c: T): T => {
    const out: T & Partial<SharedSecrets> = { ...c, ...quiet, principalSecrets: c.principalSecrets.length ? c.principalSecrets : [stored.principalSecret] };
    if ('clickIdSecrets' in out) out.clickIdSecrets = out.clickIdSecrets!.length ? out.clickIdSecrets : [stored.clickIdSecret];
    if ('secretsKey' in out) out.secretsKey = out.secretsKey || stored.secretsKey;
    return out;
  };
  const gatewayConfig = withSecrets(gatewayRead);
  // One TRUSTED_PROXIES for both: links also believes the gateway in this process, whose
  // click redirect reaches it over loopback, whatever load balancers the list names.
  const linksTrust = [...new Set(['loopback', ...linksRead.trustedProxies])];
  const links = withSecrets({ ...linksRead, trustedProxies: linksTrust, publicUrl: publicUrlSet ? linksRead.publicUrl : `http://localhost:${gatewayRead.port}` });
  const events = withSecrets(events0);
  const kyc = withSecrets(kyc0);
  const commissions = withSecrets(commissions0);

  const redisUrl = links.bus === 'redis' ? links.redisUrl : undefined;
  const shared: Required<SharedInfra> = {
    bus: createBus({ redisUrl, streamPrefix: `${links.redisKeyPrefix}facts:` }),
    pubsub: createPubSub({ redisUrl: links.redisUrl, channelPrefix: `${links.redisKeyPrefix}live:` }),
  };
  const running: RunningService[] = [];
  const closeShared = async () => {
    await Promise.allSettled([shared.bus.close(), shared.pubsub.close()]);
  };
  const infra: RunningService = { name: 'bus', url: '', port: 0, stop: closeShared };
  try {
    if (redisUrl) {
      await shared.bus.ping().catch((err) => {
        throw new Error(`cannot reach Redis at ${redactUrl(redisUrl)}: ${(err as Error).message}`);
      });
    }
    running.push(infra);
    // Subgraphs take their ports from *_PORT; the gateway is told where they really are (PORT=0 works).
    // Links first: kyc reserves its codes in links (the tenant's one code namespace), at its real port.
    const linksService = await startLinks(links, shared);
    running.push(linksService);
    const others = await Promise.all([startEvents(events, shared), startKyc({ ...kyc, linksUrl: linksService.url }, shared), startCommissions(commissions, shared)]);
    running.push(...others);
    const subgraphs = [linksService, ...others];
    const [l, e, k, c] = subgraphs;
    const gateway = await startGateway({ ...gatewayConfig, subgraphUrls: { links: l.url, events: e.url, kyc: k.url, commissions: c.url } });
    running.push(gateway);
    const demo = await ensureDemo(gateway, demoKey, demoClientId && demoClientSecret ? { id: demoClientId, secret: demoClientSecret } : undefined);
    const store = gatewayConfig.databaseUrl ? `PostgreSQL ${redactUrl(gatewayConfig.databaseUrl)}` : `SQLite files in ${gatewayConfig.dataDir}`;
    const bus = redisUrl ? `Redis ${redactUrl(redisUrl)}` : 'in-process bus';
    const lines = [
      '',
      `Referral gateway is running (${store}, ${bus})`,
      `  GraphQL endpoint: ${gateway.url}`,
      `  Demo tenant:      ${demo.tenantId}`,
      `  Demo API key:     ${demo.apiKey}`,
      `  Demo partner:     ${demo.partnerId} (referral code ${demo.referralCode})`,
      `  Demo link:        ${demo.trackingUrl}`,
      ...(demoClientId ? [`  Demo OAuth client: ${demoClientId} (POST ${gateway.url.replace('/graphql', '/oauth/token')})`] : []),
      '',
      'First query:',
      `  curl -s ${gateway.url} -H 'content-type: application/json' -H 'x-api-key: ${demo.apiKey}' \\`,
      `    -d '{"query":"{ partners { nodes { id name referralCode registrationCount earnings { totalIncome currency } } } }"}'`,
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return running;
  } catch (err) {
    for (const s of running.reverse()) await s.stop().catch(() => undefined);
    await closeShared();
    throw err;
  }
}

if (require.main === module) runMain('referral gateway', () => startAll(process.env));
