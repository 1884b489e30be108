/**
 * arbiter/monitor — monitoring deployed models as a library: the statistics (drift tests and
 * distances, performance, fairness), reference profiles, mergeable windows, their evaluation
 * against a profile, the alert life cycle and the offline HTML report. Pure; no I/O.
 */
export type { AlertState, AlertStep } from './alerts.js';
export { stepAlert } from './alerts.js';
export type { DataFormat, ParsedData, Row } from './data.js';
export { detectDataFormat, parseArff, parseCsv, parseData, parseNdjson } from './data.js';
export type { BinShift, DriftResult, FairnessSummary, WindowMetrics } from './evaluate.js';
export { evaluateWindow } from './evaluate.js';
export type { Profile, ProfiledColumn, ProfileSource } from './profile.js';
export { buildProfile, rowToEvent } from './profile.js';
export type { MonitoringReportInput } from './report/html.js';
export { monitoringReportHtml } from './report/html.js';
export type { MonitorSchema, SensitiveAttribute } from './schema.js';
export { groupsOf, MonitorSchemaDocument } from './schema.js';
export * from './stats/index.js';
export type { EventMemo, MonitorEvent, WindowState } from './window.js';
export { addEvent, addLabel, emptyWindow, eventProblem, mergeWindows, windowStart } from './window.js';
