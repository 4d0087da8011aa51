import { Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface Received {
  data?: any;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** A graphql-ws client of the gateway, and a subscription whose messages are collected. */
export function wsClient(gatewayUrl: string, connectionParams: Record<string, unknown>): { client: Client; closed: Promise<{ code: number; reason: string }> } {
  let onClosed: (e: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((r) => (onClosed = r));
  const client = createClient({
    url: gatewayUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    // The close is observed through `closed`; the default would print it.
    onNonLazyError: () => undefined,
    connectionParams,
    on: { closed: (e) => onClosed({ code: (e as { code: number }).code, reason: (e as { reason: string }).reason }) },
  });
  return { client, closed };
}

export function collect(client: Client, query: string, variables: Record<string, unknown> = {}, extensions?: Record<string, unknown>, operationName?: string) {
  const messages: Received[] = [];
  let done = false;
  let error: unknown = null;
  const unsubscribe = client.subscribe(
    { query, variables, ...(extensions ? { extensions } : {}), ...(operationName ? { operationName } : {}) },
    {
      next: (m) => messages.push(m as Received),
      error: (e) => {
        error = e;
        done = true;
      },
      complete: () => (done = true),
    },
  );
  return { messages, unsubscribe, isDone: () => done, error: () => error };
}
