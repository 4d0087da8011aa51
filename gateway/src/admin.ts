import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ALL_SCOPES, EnvReader } from '../../subgraphs/shared/src';
import { openGatewayDatabase } from './server';
import { KeyStore, parseScopes } from './auth/key-store';
import { CLIENT_ID_RULE, CLIENT_SECRET_RULE, TokenService } from './auth/tokens';

const USAGE = `usage: npm run admin -- <command> [options]

  create-tenant --name <name>                 creates a tenant, prints its id
  list-tenants
  create-key --tenant <id> [--scopes <list>] [--partner <prt_id>] [--name <label>] [--expires-in-days <n>]
                                              creates an API key and prints it once
                                              scopes: comma-separated, or "all" (default)
                                              ${ALL_SCOPES.join(' ')}
  list-keys --tenant <id>
  revoke-key <key_id>
  create-client --tenant <id> [--scopes <list>] [--name <label>] [--client-id <id>] [--client-secret <secret>]
                                              creates an OAuth client (client credentials); prints its secret once
                                              --client-id: keep an integration's own id (${CLIENT_ID_RULE});
                                              default cli_<random>
                                              --client-secret: keep its own secret (${CLIENT_SECRET_RULE});
                                              default a random cs_... secret; stored hashed either way
  list-clients --tenant <id>
  revoke-client <client_id>                   its access tokens stop working too

  --json prints machine-readable output. Uses DATABASE_URL (PostgreSQL) or DATA_DIR (SQLite, default ./data),
  the same database as the gateway.`;

export async function admin(argv: string[], environment: Record<string, string | undefined>, out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      tenant: { type: 'string' },
      scopes: { type: 'string' },
      partner: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'expires-in-days': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (!command || values.help) {
    out(USAGE);
    return command || values.help ? 0 : 2;
  }
  const env = new EnvReader(environment);
  const db = { databaseUrl: env.url('DATABASE_URL', ['postgres:', 'postgresql:']), dataDir: env.string('DATA_DIR', './data'), dbPoolSize: 2 };
  env.done();
  const { dataSource } = await openGatewayDatabase(db);
  const keys = new KeyStore(dataSource);
  // Issuing is the gateway's job; the admin command only manages clients.
  const tokens = new TokenService(dataSource, keys, 'admin-does-not-issue-tokens', 60);
  const print = (human: string, json: unknown) => out(values.json ? JSON.stringify(json) : human);
  const need = (v: string | undefined, flag: string): string => {
    if (!v) throw new Error(`${command} needs --${flag}`);
    return v;
  };
  try {
    switch (command) {
      case 'create-tenant': {
        const t = await keys.createTenant(need(values.name, 'name'));
        print(`created tenant ${t.id} (${t.name})`, { id: t.id, name: t.name });
        return 0;
      }
      case 'list-tenants': {
        const all = await keys.listTenants();
        print(all.map((t) => `${t.id}\t${t.name}\t${t.createdAt.toISOString()}`).join('\n') || 'no tenants', all);
        return 0;
      }
      case 'create-key': {
        const days = values['expires-in-days'];
        if (days !== undefined && !/^\d+$/.test(days)) throw new Error('--expires-in-days must be a whole number of days');
        const { key, record } = await keys.createKey({
          tenantId: need(values.tenant, 'tenant'),
          name: values.name ?? 'api key',
          scopes: parseScopes(values.scopes ?? 'all'),
          partnerId: values.partner ?? null,
          expiresAt: days ? new Date(Date.now() + Number(days) * 86_400_000) : null,
        });
        print(
          `created key ${record.id} for tenant ${record.tenantId}${record.partnerId ? ` confined to partner ${record.partnerId}` : ''}\nscopes: ${record.scopes}\n\n  ${key}\n\nThis is the only time the key is shown; store it now.`,
          { id: record.id, key, tenantId: record.tenantId, scopes: record.scopes.split(' '), partnerId: record.partnerId, expiresAt: record.expiresAt },
        );
        return 0;
      }
      case 'list-keys': {
        const all = await keys.listKeys(need(values.tenant, 'tenant'));
        print(
          all
            .map((k) => `${k.id}\t${k.keyPrefix}…\t${k.name}\t${k.scopes}${k.partnerId ? `\tpartner ${k.partnerId}` : ''}${k.revokedAt ? '\tREVOKED' : ''}`)
            .join('\n') || 'no keys',
          all.map(({ keyHash: _hash, ...k }) => k),
        );
        return 0;
      }
      case 'revoke-key': {
        const id = rest[0];
        if (!id) throw new Error('revoke-key needs the key id (key_...)');
        const done = await keys.revokeKey(id);
        if (!done) throw new Error(`no active key ${id}`);
        print(`revoked ${id} (gateways stop accepting it within 30 s)`, { id, revoked: true });
        return 0;
      }
      case 'create-client': {
        const chosenSecret = values['client-secret'];
        const { client, secret } = await tokens.createClient({
          tenantId: need(values.tenant, 'tenant'),
          name: values.name ?? 'oauth client',
          scopes: parseScopes(values.scopes ?? 'all'),
          clientId: values['client-id'],
          clientSecret: chosenSecret,
        });
        // A secret the caller chose is not printed back: it is already theirs, and output ends up in logs.
        print(
          chosenSecret === undefined
            ? `created OAuth client for tenant ${client.tenantId}\nscopes: ${client.scopes}\n\n  client_id:     ${client.id}\n  client_secret: ${secret}\n\nThis is the only time the secret is shown; store it now.`
            : `created OAuth client for tenant ${client.tenantId}\nscopes: ${client.scopes}\n\n  client_id:     ${client.id}\n  client_secret: the one given with --client-secret (stored hashed, not shown)`,
          { clientId: client.id, ...(chosenSecret === undefined ? { clientSecret: secret } : {}), tenantId: client.tenantId, scopes: client.scopes.split(' ') },
        );
        return 0;
      }
      case 'list-clients': {
        const all = await tokens.listClients(need(values.tenant, 'tenant'));
        print(all.map((c) => `${c.id}\t${c.name}\t${c.scopes}${c.revokedAt ? '\tREVOKED' : ''}`).join('\n') || 'no clients', all.map(({ secretHash: _h, ...c }) => c));
        return 0;
      }
      case 'revoke-client': {
        const id = rest[0];
        if (!id) throw new Error('revoke-client needs the client id (cli_... or the id chosen with --client-id)');
        if (!(await tokens.revokeClient(id))) throw new Error(`no active client ${id}`);
        print(`revoked ${id} and its tokens (gateways stop accepting them within 30 s)`, { id, revoked: true });
        return 0;
      }
      default:
        out(`unknown command ${command}\n\n${USAGE}`);
        return 2;
    }
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  admin(process.argv.slice(2), process.env, (s) => process.stdout.write(s + '\n')).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`admin: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
