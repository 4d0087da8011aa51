import { Arg, Args, Ctx, Field, ID, InputType, Mutation, Query, Resolver } from 'type-graphql';
import { EntityManager, IsNull } from 'typeorm';
import { badInput, conflict, ConnectionType, forbidden, notFound, PageArgs, paginateQuery, requireScope } from '../../../shared/src';
import { Product } from '../entities/product.entity';
import { TenantSettings } from '../entities/read-models.entity';
import { EventsContext } from '../loaders';
import { EventsDeps } from '../services/deps';

export const ProductConnection = ConnectionType('Product', Product);

const PRODUCT_ID_RE = /^[A-Za-z0-9_.:-]{1,100}$/;
const MAX_NAME = 200;

@InputType()
export class CreateProductInput {
  @Field(() => String, { description: "Your own product id, as events send it (1-100 of A-Z a-z 0-9 _ . : -), e.g. Refairn's product_123" })
  id: string;
  @Field({ description: '1-200 characters' })
  name: string;
}

@InputType()
export class UpdateProductInput {
  @Field(() => String, { nullable: true, description: '1-200 characters' })
  name?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'true archives the product: unknown to new events (when refused), kept on past ones; false restores it' })
  archived?: boolean | null;
}

function checkName(name: string, param: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > MAX_NAME) throw badInput(`name must be 1-${MAX_NAME} characters`, param);
  return trimmed;
}

/**
 * Whether an event may name `productId`: always, unless the tenant refuses unknown products;
 * then only a product of the catalogue that is not archived (Refairn answers 404 for an
 * unknown productId).
 */
export async function assertKnownProduct(m: EntityManager, tenantId: string, productId: string | null | undefined, param = 'input.productId'): Promise<void> {
  if (productId === null || productId === undefined) return;
  const settings = await m.getRepository(TenantSettings).findOneBy({ tenantId });
  if (!settings?.refuseUnknownProducts) return;
  const product = await m.getRepository(Product).findOneBy({ tenantId, id: productId, archivedAt: IsNull() });
  if (!product) {
    throw notFound(`no product ${JSON.stringify(productId.slice(0, 100))} in the catalogue: create it with createProduct, or turn off eventSettings.refuseUnknownProducts`, param, 'product_not_found');
  }
}

@Resolver(() => Product)
export class ProductResolver {
  constructor(private readonly deps: EventsDeps) {}

  private operator(ctx: EventsContext): void {
    requireScope(ctx, 'events:write');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot change the product catalogue', 'partner_scope');
  }

  @Query(() => Product, { nullable: true })
  async product(@Arg('id', () => ID) id: string, @Ctx() ctx: EventsContext): Promise<Product> {
    requireScope(ctx, 'events:read');
    const p = await ctx.dataSource.getRepository(Product).findOneBy({ tenantId: ctx.principal.tenantId, id });
    if (!p) throw notFound(`no product with id ${JSON.stringify(id.slice(0, 100))}`, 'id', 'product_not_found');
    return p;
  }

  @Query(() => ProductConnection, { description: "The tenant's products, by id descending" })
  products(@Arg('includeArchived', () => Boolean, { defaultValue: false }) includeArchived: boolean, @Args() page: PageArgs, @Ctx() ctx: EventsContext) {
    requireScope(ctx, 'events:read');
    return paginateQuery(() => {
      const qb = ctx.dataSource.getRepository(Product).createQueryBuilder('p').where('p.tenant_id = :tenantId', { tenantId: ctx.principal.tenantId });
      if (!includeArchived) qb.andWhere('p.archived_at IS NULL');
      return qb;
    }, page);
  }

  @Mutation(() => Product, { description: 'Adds a product to the catalogue under your own id' })
  createProduct(@Arg('input', () => CreateProductInput) input: CreateProductInput, @Ctx() ctx: EventsContext): Promise<Product> {
    this.operator(ctx);
    if (!PRODUCT_ID_RE.test(input.id)) throw badInput('id must be 1-100 characters of A-Z a-z 0-9 _ . : -, e.g. product_123', 'input.id');
    const name = checkName(input.name, 'input.name');
    const tenantId = ctx.principal.tenantId;
    return this.deps.outbox.transaction(async (m, emit) => {
      const repo = m.getRepository(Product);
      if (await repo.findOneBy({ tenantId, id: input.id })) throw conflict(`product ${input.id} already exists`, 'input.id', 'product.id_taken');
      const now = new Date();
      const product = repo.create({ tenantId, id: input.id, name, createdAt: now, updatedAt: now, archivedAt: null });
      await repo.insert(product);
      emit('product.changed', tenantId, { product: { id: product.id, name: product.name, archived: false } });
      return product;
    });
  }

  @Mutation(() => Product, { description: 'Renames, archives or restores a product' })
  updateProduct(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateProductInput) input: UpdateProductInput, @Ctx() ctx: EventsContext): Promise<Product> {
    this.operator(ctx);
    const name = input.name === undefined || input.name === null ? null : checkName(input.name, 'input.name');
    const tenantId = ctx.principal.tenantId;
    return this.deps.outbox.transaction(async (m, emit) => {
      const repo = m.getRepository(Product);
      const product = await repo.findOneBy({ tenantId, id });
      if (!product) throw notFound(`no product with id ${JSON.stringify(id.slice(0, 100))}`, 'id', 'product_not_found');
      const now = new Date();
      if (name !== null) product.name = name;
      if (input.archived === true && !product.archivedAt) product.archivedAt = now;
      if (input.archived === false) product.archivedAt = null;
      product.updatedAt = now;
      await repo.save(product);
      emit('product.changed', tenantId, { product: { id: product.id, name: product.name, archived: !!product.archivedAt } });
      return product;
    });
  }
}
