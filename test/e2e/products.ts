import { randomBytes } from 'node:crypto';
import { Stack } from '../helpers/harness';

const uid = () => randomBytes(4).toString('hex');
const TRACK = `mutation($i: TrackEventInput!) { trackEvent(input: $i) { id productId } }`;
const COUNT = `query($t: ID!) { trader(id: $t) { events(first: 1) { totalCount } } }`;

/** The tenant's product catalogue, and refusing events that name a product outside it (Refairn's 404). */
export function defineProductTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }
  const setRefusal = (on: boolean) => ok(`mutation($on: Boolean) { updateEventSettings(input: { refuseUnknownProducts: $on }) { refuseUnknownProducts conversionEventTypes } }`, { on });

  describe('product catalogue', () => {
    const product = `product_${uid()}`;

    it('products are created under the tenant\'s own ids, listed, renamed and archived; bad ids and duplicates are refused', async () => {
      const created = await ok(`mutation($i: CreateProductInput!) { createProduct(input: $i) { id name archivedAt } }`, { i: { id: product, name: 'Pro plan' } });
      expect(created.createProduct).toEqual({ id: product, name: 'Pro plan', archivedAt: null });
      const again = await gql(`mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }`, { i: { id: product, name: 'Again' } });
      expect(again.body.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', param: 'input.id', reason: 'product.id_taken' });
      for (const [id, name, param] of [['has space', 'x', 'input.id'], ['', 'x', 'input.id'], ['p'.repeat(101), 'x', 'input.id'], [`ok_${uid()}`, '  ', 'input.name']]) {
        const bad = await gql(`mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }`, { i: { id, name } });
        expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param });
      }
      const renamed = await ok(`mutation($id: ID!) { updateProduct(id: $id, input: { name: "Pro plan (yearly)" }) { name } }`, { id: product });
      expect(renamed.updateProduct.name).toBe('Pro plan (yearly)');
      const listed = await ok(`{ products(first: 100) { nodes { id name } } }`);
      expect(listed.products.nodes).toContainEqual({ id: product, name: 'Pro plan (yearly)' });
      const unknown = await gql(`query { product(id: "no_such_product") { id } }`);
      expect(unknown.body.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', param: 'id' });
    });

    it('404 Not Found, "Unknown businessId or productId": with refuseUnknownProducts an unknown productId is NOT_FOUND on input.productId and nothing is stored', async () => {
      const email = `jane-${uid()}@example.com`;
      const first = await ok(TRACK, { i: { eventType: 'REGISTRATION', email } });
      const traderId = (await ok(`query($id: ID!) { event(id: $id) { trader { id } } }`, { id: first.trackEvent.id })).event.trader.id;
      // Off (the default): any productId is accepted.
      expect((await ok(TRACK, { i: { eventType: 'SUBSCRIPTION', email, amount: '100', currency: 'USD', productId: 'product_999', subscriptionStatus: 'active' } })).trackEvent.productId).toBe('product_999');
      const before = (await ok(COUNT, { t: traderId })).trader.events.totalCount;
      const settings = await setRefusal(true);
      try {
        expect(settings.updateEventSettings.refuseUnknownProducts).toBe(true);
        // Setting one field leaves the others as they were.
        expect(settings.updateEventSettings.conversionEventTypes).toContain('REGISTRATION');
        const refused = await gql(TRACK, { i: { eventType: 'SUBSCRIPTION', email, amount: '100', currency: 'USD', productId: 'product_999', subscriptionStatus: 'active' } });
        expect(refused.body.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', param: 'input.productId', reason: 'product_not_found' });
        expect((await ok(COUNT, { t: traderId })).trader.events.totalCount).toBe(before);
        // A product of the catalogue is accepted; archived, it is unknown to new events.
        expect((await ok(TRACK, { i: { eventType: 'SUBSCRIPTION', email, amount: '100', currency: 'USD', productId: product, subscriptionStatus: 'active' } })).trackEvent.productId).toBe(product);
        await ok(`mutation($id: ID!) { updateProduct(id: $id, input: { archived: true }) { archivedAt } }`, { id: product });
        const archived = await gql(TRACK, { i: { eventType: 'SUBSCRIPTION', email, amount: '100', currency: 'USD', productId: product, subscriptionStatus: 'active' } });
        expect(archived.body.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', param: 'input.productId' });
        // Events without a productId are not affected.
        await ok(TRACK, { i: { eventType: 'VERIFICATION', email } });
      } finally {
        await setRefusal(false);
      }
    });
  });
}
