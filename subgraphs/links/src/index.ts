import 'reflect-metadata';
import { EnvReader, runMain } from '../../shared/src';
import { readLinksConfig } from './config';
import { start } from './server';

runMain('links', async () => {
  const env = new EnvReader(process.env);
  const config = readLinksConfig(env);
  env.done();
  return start(config);
});
