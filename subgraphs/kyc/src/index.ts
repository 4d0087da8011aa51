import 'reflect-metadata';
import { EnvReader, runMain } from '../../shared/src';
import { readKycConfig } from './config';
import { start } from './server';

runMain('kyc', async () => {
  const env = new EnvReader(process.env);
  const config = readKycConfig(env);
  env.done();
  return start(config);
});
