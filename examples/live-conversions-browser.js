// Browser (the same client, with the browser's own WebSocket): shows each conversion with
// render(event) and resumes after the last one shown, across reconnects and page loads.
import { createClient } from 'graphql-ws';

const query = 'subscription($after: String) { conversionRecorded(after: $after) { id cursor eventType amount currency } }';

export function followConversions({ url, apiKey, render }) {
  // No resubscribing by graphql-ws itself: it would send the `after` it was first given.
  const client = createClient({ url, connectionParams: { apiKey }, retryAttempts: 0 });
  let stopped = false;
  let unsubscribe = () => {};
  const follow = () => {
    if (stopped) return;
    unsubscribe = client.subscribe(
      { query, variables: { after: localStorage.getItem('lastCursor') } }, // read at every (re)subscribe
      {
        next: ({ data }) => {
          const event = data?.conversionRecorded;
          if (!event) return;
          localStorage.setItem('lastCursor', event.cursor);
          render(event);
        },
        error: () => setTimeout(follow, 1000),
        complete: () => setTimeout(follow, 1000),
      },
    );
  };
  follow();
  return () => {
    stopped = true;
    unsubscribe();
    client.dispose();
  };
}

// followConversions({ url: 'wss://ref.broker.example/graphql', apiKey: partnerToken, render });
