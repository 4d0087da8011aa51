import 'reflect-metadata';
import { EnvReader, runMain } from '../../subgraphs/shared/src';
import { readGatewayConfig } from './config';
import { start } from './server';

/** The gateway as its own process (production: one container per service). */
runMain('gateway', async () => {
  const env = new EnvReader(process.env);
  const config = readGatewayConfig(env);
  env.done();
  return start(config);
});
