import { GraphQLError } from 'graphql';

/** The error codes of the contract (API.md, "Conventions"). */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'INTERNAL_SERVER_ERROR';

export interface ErrorDetails {
  /** The input field at fault, as a path from the operation's arguments: `input.code`. */
  param?: string;
  /** A stable machine-readable reason: `referral.code_taken`. */
  reason?: string;
  [extra: string]: unknown;
}

export function appError(code: ErrorCode, message: string, details: ErrorDetails = {}): GraphQLError {
  const extensions: Record<string, unknown> = { code };
  for (const [k, v] of Object.entries(details)) if (v !== undefined) extensions[k] = v;
  return new GraphQLError(message, { extensions });
}

export const badInput = (message: string, param?: string, reason?: string) =>
  appError('BAD_USER_INPUT', message, { param, reason });
export const notFound = (message: string, param?: string, reason?: string) =>
  appError('NOT_FOUND', message, { param, reason });
export const conflict = (message: string, param?: string, reason?: string) =>
  appError('CONFLICT', message, { param, reason });
export const forbidden = (message: string, reason?: string, param?: string) => appError('FORBIDDEN', message, { param, reason });
export const unauthenticated = (message: string) => appError('UNAUTHENTICATED', message);
