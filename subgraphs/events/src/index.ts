import 'reflect-metadata';
import { EnvReader, runMain } from '../../shared/src';
import { readEventsConfig } from './config';
import { start } from './server';

runMain('events', async () => {
  const env = new EnvReader(process.env);
  const config = readEventsConfig(env);
  env.done();
  return start(config);
});
