import type { JsonObject } from '../core/json.js';

/**
 * Monitoring state as the stores keep it — reference profiles, windows, remembered events and
 * alert states — and the ports that read and write it (implemented by `store/`). Times are ISO
 * 8601 UTC strings, window bounds epoch milliseconds.
 */

/**
 * The reference profile a monitoring window is counted against, kept by digest so a window opened
 * before a policy reload is still read and evaluated with its own bins.
 */
export interface MonitorProfileRow {
  /** SHA-256 hex of the profile file's bytes. */
  sha256: string;
  systemId: string;
  profile: JsonObject;
  createdAt: string;
}

/** One tumbling window of a monitored System: mergeable counts and, once evaluated, its metrics. */
export interface MonitorWindowRow {
  systemId: string;
  /** Epoch ms; the window is [start, end). */
  start: number;
  end: number;
  /** SHA-256 hex of the profile the window is counted against (see MonitorProfileRow). */
  profile: string;
  /** The monitor library's WindowState. */
  state: JsonObject;
  /** Set when the window was closed and its alerts stepped; later labels recompute `metrics` only. */
  evaluatedAt?: string;
  metrics?: JsonObject;
  updatedAt: string;
}

/** What a later label needs of one production event, kept for the retention period. */
export interface MonitorEventRow {
  systemId: string;
  id: string;
  windowStart: number;
  /** The monitor library's EventMemo: prediction, score, groups. */
  memo: JsonObject;
  /** When its label was counted; a second label for the event is refused. */
  labeledAt?: string;
  createdAt: string;
}

/** The stored state of one alert (MonitorPolicy alert) of one System. */
export interface MonitorAlertRow {
  systemId: string;
  policy: string;
  alert: string;
  /** The monitor library's AlertState. */
  state: JsonObject;
  updatedAt: string;
}

export interface MonitorReads {
  monitorProfile(sha256: string): Promise<MonitorProfileRow | undefined>;
  /** Windows with `from <= start < to`, oldest first, at most `limit`. */
  monitorWindows(
    systemId: string,
    range: { from: number; to: number; limit: number },
  ): Promise<MonitorWindowRow[]>;
  /** The windows starting at these instants (those that exist), oldest first. */
  monitorWindowsAt(systemId: string, starts: readonly number[]): Promise<MonitorWindowRow[]>;
  /** Windows not evaluated yet, oldest first, without their state. */
  unevaluatedMonitorWindows(systemId: string, limit: number): Promise<{ start: number; end: number }[]>;
  /** The start of the newest window of the System, evaluated or not. */
  latestMonitorWindowStart(systemId: string): Promise<number | undefined>;
  latestEvaluatedMonitorWindow(systemId: string): Promise<MonitorWindowRow | undefined>;
  /** The stored events with these ids (those that exist). */
  monitorEvents(systemId: string, ids: readonly string[]): Promise<MonitorEventRow[]>;
  /** Alert states of one System, or of every System; by System, policy, alert. */
  monitorAlerts(systemId?: string): Promise<MonitorAlertRow[]>;
}

export interface MonitorWrites {
  /** Keeps the first row for a digest (profiles are immutable by digest). */
  putMonitorProfile(row: MonitorProfileRow): Promise<void>;
  /** Inserts or replaces the window. */
  putMonitorWindow(row: MonitorWindowRow): Promise<void>;
  /** Fails on an id the System already has. */
  insertMonitorEvents(rows: readonly MonitorEventRow[]): Promise<void>;
  markMonitorEventsLabeled(systemId: string, ids: readonly string[], at: string): Promise<void>;
  /** Deletes at most `limit` events stored before `before`; returns how many. */
  purgeMonitorEvents(before: string, limit: number): Promise<number>;
  putMonitorAlert(row: MonitorAlertRow): Promise<void>;
}
