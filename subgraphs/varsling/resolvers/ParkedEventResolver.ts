import {
  Arg,
  Ctx,
  Field,
  ID,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  registerEnumType,
} from 'type-graphql';
import { requireScope } from '../../../platform/auth/authorize.js';
import { actorName, Scope } from '../../../platform/auth/caller.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { uuidOrNil } from '../../../platform/graphql/ids.js';
import { capLength } from '../../../platform/graphql/inputLimits.js';
import type { Context } from '../context.js';
import type { MessageEventRow } from '../services/engine.js';

export enum ParkedEventStatus {
  PARKED = 'Parked',
  RETRIED = 'Retried',
  DROPPED = 'Dropped',
}
registerEnumType(ParkedEventStatus, {
  name: 'ParkedEventStatus',
  description:
    "Parked: waiting for an admin; Retried: handled on an admin's retry; Dropped: given up by an admin.",
});

@ObjectType({
  description:
    'An event of meldingsboks the notification engine could not handle after its retries: ' +
    'parked with its reason while the others flowed on. Needs varsling:admin.',
})
export class ParkedEvent {
  @Field(() => ID) id!: string;
  @Field(() => String, { description: 'Its position in the event stream.' }) position!: string;
  @Field(() => String, { description: 'Published or StatusChanged.' }) kind!: string;
  @Field(() => ID) messageId!: string;
  @Field(() => String) recipient!: string;
  @Field(() => String, { description: 'The last failure, as the engine saw it.' }) reason!: string;
  @Field(() => Int) attempts!: number;
  @Field(() => ParkedEventStatus) status!: ParkedEventStatus;
  @Field(() => Date) parkedAt!: Date;
  @Field(() => Date, { nullable: true }) resolvedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Who retried or dropped it.' })
  resolvedBy!: string | null;
  @Field(() => String, { nullable: true, description: 'Why it was dropped.' }) note!: string | null;
}

interface Row {
  id: string;
  position: string;
  event: MessageEventRow & { at: string };
  reason: string;
  attempts: number;
  status: ParkedEventStatus;
  parked_at: Date;
  resolved_at: Date | null;
  resolved_by: string | null;
  note: string | null;
}

const COLUMNS = `id, position::text, event, reason, attempts, status, parked_at, resolved_at,
  resolved_by, note`;

function toParked(r: Row): ParkedEvent {
  return Object.assign(new ParkedEvent(), {
    id: r.id,
    position: r.position,
    kind: r.event.kind,
    messageId: r.event.messageId,
    recipient: r.event.recipientOrgnr,
    reason: r.reason,
    attempts: r.attempts,
    status: r.status,
    parkedAt: r.parked_at,
    resolvedAt: r.resolved_at,
    resolvedBy: r.resolved_by,
    note: r.note,
  });
}

@Resolver()
export class ParkedEventResolver {
  @Query(() => [ParkedEvent], {
    nullable: true,
    description:
      'Parked events, oldest first (only those still parked unless told). Needs varsling:admin; ' +
      'null with FORBIDDEN without it.',
  })
  async parkedEvents(
    @Arg('status', () => ParkedEventStatus, { defaultValue: ParkedEventStatus.PARKED })
    status: ParkedEventStatus,
    @Arg('first', () => Int, { defaultValue: 50, description: 'At most 200.' }) first: number,
    @Ctx() ctx: Context,
  ): Promise<ParkedEvent[] | null> {
    requireScope(ctx.caller, Scope.VARSLING_ADMIN);
    if (first < 0 || first > 200) {
      throw new ClientError(ErrorCode.BAD_USER_INPUT, 'first must be between 0 and 200.', {
        argument: 'first',
      });
    }
    const rows = await ctx.em
      .getConnection()
      .execute<Row[]>(
        `select ${COLUMNS} from parked_event where status = ? order by parked_at, position limit ?`,
        [status, first],
      );
    return rows.map(toParked);
  }

  @Mutation(() => ParkedEvent, {
    description:
      'Handles a parked event again now. Retried when it worked; still Parked, with the new ' +
      'reason, when it failed again. Audited (resolvedBy). Needs varsling:admin.',
  })
  async retryParkedEvent(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: Context,
  ): Promise<ParkedEvent> {
    requireScope(ctx.caller, Scope.VARSLING_ADMIN);
    const row = await this.parked(ctx, id);
    const engine = ctx.services.engine;
    if (!engine) {
      throw new ClientError(ErrorCode.CONFLICT, 'The notification engine is not running here.');
    }
    let failure: string | null = null;
    try {
      await engine.retryParked({ ...row.event, at: new Date(row.event.at) });
    } catch (err) {
      failure = (err instanceof Error ? err.message : String(err)).slice(0, 1000);
    }
    const [updated] = await ctx.em.getConnection().execute<Row[]>(
      failure === null
        ? `update parked_event set status = 'Retried', resolved_at = now(), resolved_by = ?,
             attempts = attempts + 1
           where id = ? and status = 'Parked' returning ${COLUMNS}`
        : `update parked_event set reason = ?, attempts = attempts + 1
           where id = ? and status = 'Parked' returning ${COLUMNS}`,
      [failure ?? actorName(ctx.caller), row.id],
    );
    if (!updated) throw conflict();
    ctx.log.info(
      { parked: row.id, outcome: failure ? 'failed' : 'retried' },
      'parked event retried',
    );
    return toParked(updated);
  }

  @Mutation(() => ParkedEvent, {
    description:
      'Gives a parked event up for good, with the reason. Audited. Needs varsling:admin.',
  })
  async dropParkedEvent(
    @Arg('id', () => ID) id: string,
    @Arg('note', () => String, { description: 'Why (at most 1000 characters).' }) note: string,
    @Ctx() ctx: Context,
  ): Promise<ParkedEvent> {
    requireScope(ctx.caller, Scope.VARSLING_ADMIN);
    capLength({ argument: 'note' }, note, 1000);
    if (!note.trim()) {
      throw new ClientError(ErrorCode.BAD_USER_INPUT, 'Say why the event is dropped.', {
        argument: 'note',
      });
    }
    const row = await this.parked(ctx, id);
    const [updated] = await ctx.em.getConnection().execute<Row[]>(
      `update parked_event set status = 'Dropped', resolved_at = now(), resolved_by = ?, note = ?
       where id = ? and status = 'Parked' returning ${COLUMNS}`,
      [actorName(ctx.caller), note, row.id],
    );
    if (!updated) throw conflict();
    ctx.log.info({ parked: row.id }, 'parked event dropped');
    return toParked(updated);
  }

  private async parked(ctx: Context, id: string): Promise<Row> {
    const [row] = await ctx.em
      .getConnection()
      .execute<Row[]>(`select ${COLUMNS} from parked_event where id = ?`, [uuidOrNil(id)]);
    if (!row) throw new ClientError(ErrorCode.NOT_FOUND, 'No parked event has that id.');
    if (row.status !== ParkedEventStatus.PARKED) throw conflict();
    return row;
  }
}

const conflict = () =>
  new ClientError(ErrorCode.CONFLICT, 'The event is no longer parked: someone resolved it.');
