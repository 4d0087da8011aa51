import 'reflect-metadata';
import { EnvReader, runMain } from '../../shared/src';
import { readCommissionsConfig } from './config';
import { start } from './server';

runMain('commissions', async () => {
  const env = new EnvReader(process.env);
  const config = readCommissionsConfig(env);
  env.done();
  return start(config);
});
