import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface EmbeddedSecrets {
  principalSecret: string;
  clickIdSecret: string;
  secretsKey: string;
}

/**
 * `npm start` needs secrets without asking for them, but they must survive a restart:
 * click ids already in visitors' cookies must still verify, and sealed secrets must
 * still open. They are generated once into DATA_DIR/secrets.json (mode 600).
 */
export function loadOrCreateSecrets(dataDir: string): EmbeddedSecrets {
  const file = path.join(dataDir, 'secrets.json');
  if (fs.existsSync(file)) {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<EmbeddedSecrets>;
    if (parsed.principalSecret && parsed.clickIdSecret && parsed.secretsKey) return parsed as EmbeddedSecrets;
    throw new Error(`${file} is incomplete; restore it from a backup (sealed secrets need its secretsKey) or set PRINCIPAL_SECRET, CLICK_ID_SECRET and SECRETS_KEY`);
  }
  const secrets: EmbeddedSecrets = {
    principalSecret: randomBytes(32).toString('hex'),
    clickIdSecret: randomBytes(32).toString('hex'),
    secretsKey: randomBytes(32).toString('hex'),
  };
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  return secrets;
}
