import { CommonSubgraphConfig, EnvReader, readCommonSubgraphConfig, readSharedSecrets, readTrustedProxies, SharedSecrets } from '../../shared/src';

export interface LinksConfig extends CommonSubgraphConfig, SharedSecrets {
  port: number;
  /** The gateway's public origin: tracking URLs are <publicUrl>/r/<slug>. */
  publicUrl: string;
  /** Proxies whose X-Forwarded-For is believed (IPs, CIDRs, loopback, uniquelocal, linklocal). */
  trustedProxies: string[];
  /** Where links point until a tenant sets its primary domain. */
  defaultLinkDomain: string;
}

export function readLinksConfig(env: EnvReader, options = { standalone: true }): LinksConfig {
  const publicUrl = env.url('PUBLIC_URL', ['http:', 'https:'], 'http://localhost:4000') ?? 'http://localhost:4000';
  const domain = env.url('DEFAULT_LINK_DOMAIN', ['http:', 'https:'], 'https://www.example.com') ?? 'https://www.example.com';
  const trustedProxies = readTrustedProxies(env, 'loopback');
  return Object.freeze({
    ...readCommonSubgraphConfig(env, options),
    ...readSharedSecrets(env, options),
    port: env.port('LINKS_PORT', 4001),
    publicUrl: publicUrl.replace(/\/+$/, ''),
    trustedProxies,
    defaultLinkDomain: new URL(domain).origin,
  });
}
