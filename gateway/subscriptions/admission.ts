import { ApolloServerErrorCode } from '@apollo/server/errors';
import { GraphQLError, getOperationAST, type ExecutionArgs } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { ClientError, ErrorCode } from '../../platform/graphql/errors.js';
import { refuseUnstorableInput } from '../../platform/graphql/storable.js';
import { coded } from '../../platform/http/subscriptions.js';
import type { CallerBudgets } from '../edge/budget.js';
import { checkDocumentSize, checkOperationLimits, type OperationLimits } from '../limits.js';
import type { Connection } from './connection.js';
import type { Generation } from '../generation.js';

export interface AdmissionOptions {
  /** The generation (schema and document cache) an operation arriving now is checked against. */
  generation: () => Generation;
  /** The callers' rate-limit budgets, spent here as over HTTP. */
  budgets: CallerBudgets;
  operationLimits: OperationLimits;
  /** Subscriptions under way on one connection. */
  maxOperationsPerConnection: number;
}

/**
 * The socket's edge, the same as over HTTP (gateway/limits.ts, gateway/edge/budget.ts): the
 * document's size before it is parsed, an exhausted budget before anything runs, then the
 * document (cached), the operation's limits and storable input, and its cost spent from the
 * caller's budget; last, the connection's count of operations under way.
 */
export class Admission {
  constructor(private readonly options: AdmissionOptions) {}

  /** The arguments to run `payload` with, or the errors that refuse it. */
  async admit(
    connection: Connection,
    payload: SubscribePayload,
  ): Promise<ExecutionArgs | readonly GraphQLError[]> {
    const { maxOperationsPerConnection } = this.options;
    // Counted before anything is awaited, so that a burst of subscribes cannot all pass.
    if (connection.operations >= maxOperationsPerConnection) {
      return [
        new ClientError(
          ErrorCode.OPERATION_LIMIT,
          `At most ${maxOperationsPerConnection} operations at once on one connection.`,
          { limit: 'subscriptionsPerConnection', max: maxOperationsPerConnection },
        ),
      ];
    }
    connection.operations++;
    const admitted = await this.check(connection, payload);
    if (!('schema' in admitted)) connection.operations--;
    return admitted;
  }

  private async check(
    connection: Connection,
    payload: SubscribePayload,
  ): Promise<ExecutionArgs | readonly GraphQLError[]> {
    const { budgets, operationLimits } = this.options;
    const { schema, documents } = this.options.generation();
    try {
      checkDocumentSize(payload.query, operationLimits);
      budgets.refuseIfExhausted(connection.budget);
    } catch (err) {
      return this.refused(err);
    }
    const document = documents.get(payload.query);
    if (!('kind' in document)) return [...document];
    const operation = getOperationAST(document, payload.operationName);
    if (!operation) {
      return [
        coded(
          new GraphQLError('Unable to identify the operation to run.'),
          ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
        ),
      ];
    }
    try {
      const { cost } = checkOperationLimits(
        schema,
        document,
        operation,
        payload.variables ?? {},
        operationLimits,
      );
      refuseUnstorableInput(document, payload.variables ?? undefined);
      await budgets.spend(connection.budget, cost);
    } catch (err) {
      return this.refused(err);
    }
    return {
      schema,
      document,
      operationName: payload.operationName,
      variableValues: payload.variables,
      contextValue: connection,
    };
  }

  /** A refusal as errors; one for an exhausted budget waits out the tarpit first. */
  private async refused(err: unknown): Promise<readonly GraphQLError[]> {
    if ((err as GraphQLError).extensions?.code === ErrorCode.RATE_LIMITED)
      await this.options.budgets.pace();
    return [err as GraphQLError];
  }
}
