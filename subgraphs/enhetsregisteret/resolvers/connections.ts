import { connectionType } from '../../../platform/graphql/connection.js';
import { Enhet } from '../entities/Enhet.js';
import { Underenhet } from '../entities/Underenhet.js';

export const EnhetConnection = connectionType('Enhet', Enhet);
export type EnhetConnection = InstanceType<typeof EnhetConnection>;
export const UnderenhetConnection = connectionType('Underenhet', Underenhet);
export type UnderenhetConnection = InstanceType<typeof UnderenhetConnection>;
