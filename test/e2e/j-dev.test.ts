import { Stack, startEmbedded } from '../helpers/harness';
import { defineClientMistakeTests } from './client-mistakes';
import { defineResumingClientTests } from './resuming-clients';

describe('dev', () => {
  let stack: Stack;
  beforeAll(async () => { stack = await startEmbedded(); }, 60_000);
  afterAll(async () => { await stack?.stop(); });
  defineClientMistakeTests(() => stack);
  defineResumingClientTests(() => stack);
});
