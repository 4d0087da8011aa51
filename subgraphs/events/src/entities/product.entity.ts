import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A product of the tenant's catalogue, under the id the tenant's own systems send as
 * `productId` (Refairn's "product_123"). With `eventSettings.refuseUnknownProducts`, an
 * event naming a product that is not here (or is archived) is refused.
 */
@Entity('products')
@ObjectType({ description: "A product of the tenant's catalogue (the productId events and commission plans name)" })
export class Product {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @PrimaryColumn({ name: 'product_id', type: 'varchar' })
  @Field(() => ID, { description: "The tenant's own product id, as events send it in productId" })
  id: string;

  @Column({ type: 'varchar' })
  @Field()
  name: string;

  @Column({ name: 'created_at' })
  @Field()
  createdAt: Date;

  @Column({ name: 'updated_at' })
  @Field()
  updatedAt: Date;

  @Column({ name: 'archived_at', type: Date, nullable: true })
  @Field(() => Date, { nullable: true, description: 'Archived products stay on past events but are unknown to new ones' })
  archivedAt: Date | null;
}
