// Device (hddt-personal-health-device) and DeviceMetric (hddt-sensor-type-and-calibration-status).
import type { DeviceKind, GlucoseUnit } from '../readings/reading.ts';
import type { ResourceMeta } from './resource.ts';
import { DEVICE_TYPE, METRIC_TYPE, PROFILE, UCUM } from './codes.ts';
import { fhirDate, fhirInstant } from './time.ts';

export type DeviceStatus = 'active' | 'inactive' | 'unknown';

export interface DeviceInput {
  id: string;
  kind: DeviceKind;
  status: DeviceStatus;
  name: string | null;
  manufacturer: string | null;
  model: string | null;
  serialNumber: string | null;
  expiresMs: number | null;
}

export function renderDevice(d: DeviceInput, meta: ResourceMeta): object {
  return {
    resourceType: 'Device',
    id: d.id,
    meta: { ...meta, profile: [PROFILE.device] },
    status: d.status,
    type: { coding: [DEVICE_TYPE[d.kind]] },
    ...(d.name ? { deviceName: [{ name: d.name, type: 'user-friendly-name' }] } : {}),
    ...(d.manufacturer ? { manufacturer: d.manufacturer } : {}),
    ...(d.model ? { modelNumber: d.model } : {}),
    ...(d.serialNumber ? { serialNumber: d.serialNumber } : {}),
    ...(d.expiresMs !== null ? { expirationDate: fhirDate(d.expiresMs) } : {}),
  };
}

export interface DeviceMetricInput {
  id: string;
  deviceId: string;
  kind: DeviceKind;
  unit: GlucoseUnit;
  intervalSeconds: number | null;
  active: boolean;
  calibrationState: string | null;
  calibrationTime: string | null;
}

export function renderDeviceMetric(m: DeviceMetricInput, meta: ResourceMeta): object {
  const minutes = m.intervalSeconds ? m.intervalSeconds / 60 : null;
  return {
    resourceType: 'DeviceMetric',
    id: m.id,
    meta: { ...meta, profile: [PROFILE.deviceMetric] },
    type: { coding: [METRIC_TYPE[m.kind]] },
    unit: { coding: [{ system: UCUM, code: m.unit, display: m.unit }] },
    source: { reference: `Device/${m.deviceId}` },
    operationalStatus: m.active ? 'on' : 'off',
    category: 'measurement',
    ...(m.kind === 'cgm' && minutes
      ? { measurementPeriod: { repeat: { frequency: 1, period: minutes, periodUnit: 'min' } } }
      : {}),
    calibration: [
      {
        type: 'unspecified',
        state: m.calibrationState ?? 'unspecified',
        ...(m.calibrationTime ? { time: fhirInstant(Date.parse(m.calibrationTime)) } : {}),
      },
    ],
  };
}
