import type { DecisionView } from '../../../src/app/decisions/view.js';
import type { GateRunView } from '../../../src/app/gate-runs/view.js';
import type { MonitorAlertView } from '../../../src/app/monitoring/alert-view.js';
import type { MonitoredSystemView } from '../../../src/app/monitoring/monitored-view.js';
import type { MonitorWindowView } from '../../../src/app/monitoring/window-views.js';
import type { AutonomyChange, SystemView } from '../../../src/app/systems/view.js';
import type { TrackRecord } from '../../../src/registry/autonomy.js';
import type { LedgerEntryView, Me } from '../../../src/server/schemas.js';

/**
 * The shapes the dashboard reads from the API: the server's wire shapes, derived from the schemas
 * /openapi.json is made of. Imported type-only, so nothing of the server reaches the bundle.
 */

export type { AutonomyChange, LedgerEntryView, Me, TrackRecord };

export type Decision = DecisionView;
/** A rule that fired, or (in `notFired`) one that did not: its message only when it fired. */
export type Reason = Decision['reasons'][number] | Decision['notFired'][number];
export type Requirement = Decision['approvals']['required'][number];

export type System = SystemView;

export type MonitorWindow = MonitorWindowView;
export type MonitoredSystem = MonitoredSystemView;
export type AlertState = MonitorAlertView;

export type GateRun = GateRunView;
export type GateCheck = NonNullable<GateRun['report']>['checks'][number];
