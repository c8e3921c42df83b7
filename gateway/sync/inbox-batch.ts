// A decoded batch as the recorder's store applies it: resource rows and assignment changes, with device keys and
// patient handles namespaced by gateway (hub device keys and handles are only unique per hub).
import type { ResourceRow } from '../store/resources.ts';
import { resourceJson, type AssignmentEntry, type Batch, type ResourceEntry } from './payload.ts';
import type { InboxAssignment, InboxBatch, InboxResource } from './recorder-store.ts';

/** The recorder-side device key: hub device keys are only unique per hub. */
export const namespacedDeviceKey = (gw: string, deviceKey: string) => `${gw}/${deviceKey}`;
/** The recorder-side patient id: the hub's pseudonymous handle, namespaced by hub. */
export const namespacedPatient = (gw: string, handle: string) => `${gw}/${handle}`;

function resourceOf(gw: string, e: ResourceEntry): InboxResource {
  const row: ResourceRow = {
    type: e.type,
    id: e.id,
    version: e.version,
    last_updated_ms: e.lastUpdated,
    device_key: namespacedDeviceKey(gw, e.deviceKey),
    code: e.index.code,
    effective_start_ms: e.index.effectiveStart,
    effective_end_ms: e.index.effectiveEnd,
    value: e.index.value,
    unit: e.index.unit,
    ref: e.index.ref,
    status: e.index.status,
    json: resourceJson(e),
  };
  return { row, payload: () => Buffer.from(JSON.stringify(e)) };
}

/** Version 2 entries carry their period; version 1 entries say who has the device from `at` on. */
function assignmentOf(gw: string, e: AssignmentEntry): InboxAssignment {
  const device = namespacedDeviceKey(gw, e.deviceKey);
  if (e.from !== undefined && e.patient !== null) {
    const patient = namespacedPatient(gw, e.patient);
    return { kind: 'period', device, patient, from: e.from, until: e.until ?? null, at: e.at };
  }
  const patient = e.patient === null ? null : namespacedPatient(gw, e.patient);
  return { kind: 'v1', device, patient, seq: e.seq, at: e.at };
}

export function inboxBatch(topic: string, batch: Batch): InboxBatch {
  const { gw } = batch;
  const out: InboxBatch = {
    topic,
    gw,
    stream: batch.stream,
    from: batch.from,
    to: batch.to,
    floor: batch.floor,
    namespace: namespacedDeviceKey(gw, ''),
    resources: [],
    assignments: [],
  };
  for (const e of batch.entries) {
    if (e.kind === 'assignment') out.assignments.push(assignmentOf(gw, e));
    else out.resources.push(resourceOf(gw, e));
  }
  return out;
}
