import { GraphQLError } from 'graphql';

/** Runs `fn`, expects it to throw a GraphQLError, and returns it for assertions. */
export function errorOf(fn: () => unknown): GraphQLError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(GraphQLError);
  return thrown as GraphQLError;
}
