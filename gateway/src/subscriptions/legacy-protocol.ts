import { CloseCode, DEPRECATED_GRAPHQL_WS_PROTOCOL } from 'graphql-ws';
import { WebSocketServer } from 'ws';

export const LEGACY_CLOSE_REASON = 'subscriptions-transport-ws is not supported: use graphql-ws (graphql-transport-ws subprotocol)';

/**
 * Tells a client of the retired `subscriptions-transport-ws` library (subprotocol
 * `graphql-ws`) why it cannot connect. graphql-ws selects no subprotocol for it, so the
 * handshake itself failed and the client saw only 1006. Here the legacy subprotocol is
 * accepted and the socket closed at once with 4406 and a reason naming the protocol to use.
 * Call after graphql-ws's `useServer`, which installs its own protocol selection.
 */
export function refuseLegacyClients(wss: WebSocketServer): void {
  const select = wss.options.handleProtocols;
  wss.options.handleProtocols = (protocols, request) =>
    (select ? select(protocols, request) : false) || (protocols.has(DEPRECATED_GRAPHQL_WS_PROTOCOL) ? DEPRECATED_GRAPHQL_WS_PROTOCOL : false);
  // Before graphql-ws's listener: its own close (4406 "Subprotocol not acceptable") then
  // finds the socket already closing and is ignored.
  wss.prependListener('connection', (socket) => {
    if (socket.protocol === DEPRECATED_GRAPHQL_WS_PROTOCOL) socket.close(CloseCode.SubprotocolNotAcceptable, LEGACY_CLOSE_REASON);
  });
}
