import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../helpers/harness';

describe('npm start refuses bad OAuth demo credentials and CORS origins', () => {
  it('exits 1 naming DEMO_CLIENT_ID, DEMO_CLIENT_SECRET and CORS_ORIGINS with what each allows, printing no secret', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rgw-start-config-'));
    const secret = 'too short secret';
    try {
      const proc = run('start-all', 'gateway/src/start-all.js', {
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        PORT: '0',
        DEMO_CLIENT_ID: 'my client',
        DEMO_CLIENT_SECRET: secret,
        CORS_ORIGINS: 'https://app.example.com/app',
      });
      const timer = setTimeout(() => proc.child.kill('SIGKILL'), 30_000);
      const { code } = await proc.exited;
      clearTimeout(timer);
      const output = proc.output();
      expect(code).toBe(1);
      expect(output).toContain('DEMO_CLIENT_ID: client_id must be 3-100 characters of A-Z a-z 0-9 _ . -, not starting with key_; got "my client"');
      expect(output).toContain('DEMO_CLIENT_SECRET: client_secret must be 24-256 printable ASCII characters without spaces; got 16 characters including spaces');
      expect(output).toContain('CORS_ORIGINS: "https://app.example.com/app" is not an origin');
      expect(output).not.toContain(secret);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 40_000);
});
