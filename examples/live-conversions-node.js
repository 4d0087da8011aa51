// Node (npm i graphql-ws ws): follows the tenant's conversions, resuming after the last one
// received whenever the stream ends (a gateway restart, a dropped connection, an error).
const { createClient } = require('graphql-ws');
const WebSocket = require('ws');

const client = createClient({
  url: process.env.GATEWAY_WS_URL || 'ws://localhost:4000/graphql',
  webSocketImpl: WebSocket,
  // graphql-ws would resubscribe by itself with the variables first given (the original
  // `after`), and every event since would come twice: follow() resubscribes instead.
  retryAttempts: 0,
  connectionParams: { apiKey: process.env.API_KEY },
});

let lastCursor = process.env.LAST_CURSOR || null; // persist it to survive restarts of this program
const query = `subscription($after: String) { conversionRecorded(after: $after) {
  id cursor eventType amount currency partner { name } commissions { amount status } } }`;

function follow() {
  client.subscribe(
    { query, variables: { after: lastCursor } }, // read at every (re)subscribe: the last cursor received
    {
      next: ({ data, errors }) => {
        if (errors) console.error('errors:', JSON.stringify(errors)); // e.g. commissions while it is down
        const event = data?.conversionRecorded;
        if (!event) return;
        console.log(event.id, event.eventType, event.amount, event.currency, event.partner?.name);
        lastCursor = event.cursor;
      },
      error: (err) => {
        console.error('stream ended:', err.reason || err.code || err.message || err);
        setTimeout(follow, 1000);
      },
      complete: () => setTimeout(follow, 1000),
    },
  );
}
follow();
