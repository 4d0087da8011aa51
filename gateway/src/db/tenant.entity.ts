import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A brokerage, SaaS business or ISV: everything in every subgraph belongs to one. */
@Entity('tenants')
export class Tenant {
  @PrimaryColumn({ type: 'varchar' })
  id: string;

  @Column({ type: 'varchar' })
  name: string;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
