import { type Static, Type } from '@sinclair/typebox';
import { type AlertState, AlertStateSchema } from '../../monitor/alerts.js';
import type { MonitorAlertRow } from '../../store/records.js';

export const MonitorAlertViewSchema = Type.Object(
  { ...AlertStateSchema.properties, system: Type.String(), updatedAt: Type.String() },
  { description: 'The state of one monitoring alert of a System' },
);
/** An alert as the API returns it: the stored AlertState (`lastWindow` in epoch ms) and whose it is. */
export type MonitorAlertView = Static<typeof MonitorAlertViewSchema>;

/** The API view of a stored alert state. */
export function alertView(row: MonitorAlertRow): MonitorAlertView {
  const state = row.state as unknown as AlertState;
  return { ...state, system: row.systemId, updatedAt: row.updatedAt };
}
