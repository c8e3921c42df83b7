// The HDDT resources of stored facts, as drafts (index + render): pure functions of what the store holds, so
// the ingest pipeline gathers the facts, calls these, and writes what they return.
import type { DeviceKind, GlucoseUnit, Specimen } from '../readings/reading.ts';
import { bloodGlucoseCoding, renderBloodGlucose } from './blood-glucose.ts';
import { renderCgmChunk, type ChunkSample } from './cgm-chunk.ts';
import { CGM_LOINC, DEVICE_TYPE, METRIC_TYPE } from './codes.ts';
import { renderDevice, renderDeviceMetric, type DeviceStatus } from './device.ts';
import { chunkLimits, type MappingOptions } from './mapping.ts';
import type { ResourceDraft } from './resource.ts';

/** What the mapping needs of a device. */
export interface DeviceFacts {
  key: string;
  kind: DeviceKind;
  manufacturer: string | null;
  model: string | null;
  serial_number: string | null;
  name: string | null;
}

/** What the mapping needs of a sensor session (a BG meter has one session). */
export interface SessionFacts {
  device_fhir_id: string;
  metric_fhir_id: string;
  unit: string;
  interval_s: number | null;
  lower_limit: number | null;
  upper_limit: number | null;
  expires_at: string | null;
  calibration_state: string | null;
  calibration_time: string | null;
  serial_number: string | null;
}

export interface BloodGlucoseFacts {
  id: string;
  identity: string;
  value: number | null;
  unit: GlucoseUnit;
  flag: 'low' | 'high' | 'error' | null;
  specimen: Specimen;
  effectiveMs: number;
}

export function bloodGlucoseDraft(device: DeviceFacts, s: SessionFacts, r: BloodGlucoseFacts): ResourceDraft {
  return {
    index: {
      type: 'Observation',
      id: r.id,
      deviceKey: device.key,
      code: bloodGlucoseCoding(r.specimen, r.unit).code,
      effectiveStartMs: r.effectiveMs,
      effectiveEndMs: r.effectiveMs,
      value: r.flag === 'error' ? null : r.value,
      unit: r.unit,
      ref: `DeviceMetric/${s.metric_fhir_id}`,
      status: 'final',
    },
    render: (meta) =>
      renderBloodGlucose(
        {
          id: r.id,
          recordIdentity: `${s.device_fhir_id}/${r.identity}`,
          value: r.value,
          unit: r.unit,
          flag: r.flag,
          specimen: r.specimen,
          effectiveMs: r.effectiveMs,
          metricId: s.metric_fhir_id,
        },
        meta,
      ),
  };
}

export interface ChunkFacts {
  id: string;
  startMs: number;
  endMs: number;
  status: 'preliminary' | 'final';
  /** The chunk's samples, oldest first. */
  samples: ChunkSample[];
}

export function chunkDraft(
  device: DeviceFacts,
  s: SessionFacts,
  c: ChunkFacts,
  opts: MappingOptions,
): ResourceDraft {
  const unit = s.unit as GlucoseUnit;
  const limits = chunkLimits(s, unit, opts);
  return {
    index: {
      type: 'Observation',
      id: c.id,
      deviceKey: device.key,
      code: CGM_LOINC[unit].code,
      effectiveStartMs: c.startMs,
      effectiveEndMs: c.endMs,
      unit,
      ref: `DeviceMetric/${s.metric_fhir_id}`,
      status: c.status,
    },
    render: (meta) =>
      renderCgmChunk(
        {
          id: c.id,
          metricId: s.metric_fhir_id,
          startMs: c.startMs,
          endMs: c.endMs,
          periodMs: (s.interval_s ?? 60) * 1000,
          unit,
          lowerLimit: limits.lower,
          upperLimit: limits.upper,
          status: c.status,
          samples: c.samples,
        },
        meta,
      ),
  };
}

/** The session's Device and DeviceMetric. */
export function sessionDrafts(device: DeviceFacts, s: SessionFacts, status: DeviceStatus): ResourceDraft[] {
  const kind = device.kind;
  return [
    {
      index: {
        type: 'Device',
        id: s.device_fhir_id,
        deviceKey: device.key,
        code: DEVICE_TYPE[kind].code,
        status,
      },
      render: (meta) =>
        renderDevice(
          {
            id: s.device_fhir_id,
            kind,
            status,
            name: device.name ?? device.model,
            manufacturer: device.manufacturer,
            model: device.model,
            serialNumber: s.serial_number ?? device.serial_number,
            expiresMs: s.expires_at ? Date.parse(s.expires_at) : null,
          },
          meta,
        ),
    },
    {
      index: {
        type: 'DeviceMetric',
        id: s.metric_fhir_id,
        deviceKey: device.key,
        code: METRIC_TYPE[kind].code,
        ref: `Device/${s.device_fhir_id}`,
      },
      render: (meta) =>
        renderDeviceMetric(
          {
            id: s.metric_fhir_id,
            deviceId: s.device_fhir_id,
            kind,
            unit: s.unit as GlucoseUnit,
            intervalSeconds: s.interval_s,
            active: status !== 'inactive',
            calibrationState: s.calibration_state,
            calibrationTime: s.calibration_time,
          },
          meta,
        ),
    },
  ];
}
