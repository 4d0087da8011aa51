import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export enum DeliveryStatus {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  RETRYING = 'RETRYING',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(DeliveryStatus, {
  name: 'DeliveryStatus',
  description: 'PENDING: waiting for its attempt; RETRYING: this attempt failed and another is scheduled; FAILED: the last attempt failed',
});

/** A URL that receives signed postbacks of the tenant's events. */
@Entity('postback_endpoints')
@ObjectType({ description: 'A URL that receives signed postbacks (Standard Webhooks) of events' })
@Directive('@key(fields: "id")')
export class PostbackEndpoint {
  @PrimaryColumn({ type: 'varchar' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ type: 'varchar' })
  @Field()
  url: string;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  description: string | null;

  /** Event type names, or ["*"] for all. */
  @Column({ name: 'event_types', type: 'simple-json' })
  @Field(() => [String], { description: 'Event types delivered, or ["*"] for all' })
  eventTypes: string[];

  @Column({ type: 'boolean' })
  @Field()
  enabled: boolean;

  /** Why the endpoint was disabled automatically (410 Gone, failing for 5 days). */
  @Column({ name: 'disabled_reason', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true, description: 'Why deliveries stopped on their own (410 Gone, failing for 5 days)' })
  disabledReason: string | null;

  /** Sealed with SECRETS_KEY; shown once when created or rotated. */
  @Column({ name: 'secret_enc', type: 'text' })
  secretEnc: string;

  /** After a rotation the old secret signs too, until `previousSecretUntil`. */
  @Column({ name: 'previous_secret_enc', type: 'text', nullable: true })
  previousSecretEnc: string | null;

  @Column({ name: 'previous_secret_until', type: Date, nullable: true })
  previousSecretUntil: Date | null;

  /** Start of the current run of failed attempts; null after a success. */
  @Column({ name: 'failing_since', type: Date, nullable: true })
  failingSince: Date | null;

  @Column({ name: 'created_at' })
  @Field()
  createdAt: Date;

  @Column({ name: 'updated_at' })
  updatedAt: Date;

  @Column({ name: 'deleted_at', type: Date, nullable: true })
  deletedAt: Date | null;
}

/** One attempt to deliver one message to one endpoint. */
@Entity('postback_deliveries')
@ObjectType({ description: 'One attempt to deliver a postback' })
export class PostbackDelivery {
  @PrimaryColumn({ type: 'varchar' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'endpoint_id', type: 'varchar' })
  endpointId: string;

  /** webhook-id: the same for every attempt of a message, so receivers can de-duplicate. */
  @Column({ name: 'message_id', type: 'varchar' })
  messageId: string;

  @Column({ name: 'event_id', type: 'varchar', nullable: true })
  eventId: string | null;

  @Column({ name: 'event_type', type: 'varchar' })
  @Field()
  eventType: string;

  @Column({ name: 'is_test', type: 'boolean' })
  @Field()
  isTest: boolean;

  @Column({ type: 'varchar' })
  @Field(() => DeliveryStatus)
  status: DeliveryStatus;

  @Column({ type: 'integer' })
  @Field(() => Int, { description: '1 for the first attempt of a message' })
  attempt: number;

  /** The JSON body, fixed for the message: every attempt sends the same bytes. */
  @Column({ type: 'text' })
  body: string;

  @Column({ name: 'response_status', type: 'integer', nullable: true })
  @Field(() => Int, { nullable: true })
  responseStatus: number | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  @Field(() => Int, { nullable: true })
  durationMs: number | null;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true, description: 'What went wrong, with at most 1 KB of the response body' })
  error: string | null;

  @Column({ name: 'next_attempt_at', type: Date, nullable: true })
  @Field(() => Date, { nullable: true, description: 'When a PENDING attempt is due' })
  nextAttemptAt: Date | null;

  /** A worker holds the attempt until then; past it another worker may take it (crash safety). */
  @Column({ name: 'lease_until', type: Date, nullable: true })
  leaseUntil: Date | null;

  @Column({ name: 'created_at' })
  @Field()
  createdAt: Date;

  @Column({ name: 'attempted_at', type: Date, nullable: true })
  attemptedAt: Date | null;
}
