// `decode` kinds for the BLE characteristics (CGMS 0x181F, GLS 0x1808): each turns the typed codec
// value into plain JSON (SFLOATs as numbers or null plus a `…Special` field, code values with names).
import { cgmAnnunciationFlags } from '../../../drivers/codecs/cgm-annunciation.ts';
import { cgmFeatureNames, cgmSupportsE2eCrc, decodeCgmFeature } from '../../../drivers/codecs/cgm-feature.ts';
import { decodeCgmMeasurement } from '../../../drivers/codecs/cgm-measurement.ts';
import { decodeCgmSessionRunTime } from '../../../drivers/codecs/cgm-session-run-time.ts';
import {
  cgmSessionStartToUtcIso,
  decodeCgmSessionStartTime,
} from '../../../drivers/codecs/cgm-session-start-time.ts';
import { decodeCgmSocp } from '../../../drivers/codecs/cgm-socp.ts';
import { decodeCgmStatus } from '../../../drivers/codecs/cgm-status.ts';
import { formatDateTime } from '../../../drivers/codecs/date-time.ts';
import type { DateTime } from '../../../drivers/codecs/date-time.ts';
import {
  carbohydrateName,
  decodeGlucoseContext,
  healthName,
  mealName,
  medicationName,
  testerName,
} from '../../../drivers/codecs/glucose-context.ts';
import { decodeGlucoseFeature, glucoseFeatureNames } from '../../../drivers/codecs/glucose-feature.ts';
import {
  decodeGlucoseMeasurement,
  glsSensorStatusNames,
  glucoseDisplayValue,
  glucoseUserFacingTime,
} from '../../../drivers/codecs/glucose-measurement.ts';
import { decodeRacp } from '../../../drivers/codecs/racp.ts';
import { sampleLocationName, sampleTypeName } from '../../../drivers/codecs/sample-type.ts';
import type { Sfloat } from '../../../drivers/codecs/sfloat.ts';
import type { DecodeKinds } from './types.ts';

type Json = Record<string, unknown>;

/** `{ [name]: number|null }` plus `[name]Special` ('nan', 'nres', '+inf', '-inf') for special values. */
function sfloat(name: string, s: Sfloat | undefined): Json {
  if (s === undefined) return {};
  return s.kind === 'number' ? { [name]: s.value } : { [name]: null, [`${name}Special`]: s.kind };
}

function sample(sampleType: number, sampleLocation: number): Json {
  return {
    sampleType,
    sampleTypeName: sampleTypeName(sampleType),
    sampleLocation,
    sampleLocationName: sampleLocationName(sampleLocation),
  };
}

const dt = (d: DateTime) => formatDateTime(d);

export const kinds: DecodeKinds = {
  'cgm-measurement': (bytes, opts) => ({
    records: decodeCgmMeasurement(bytes, { crc: opts.crc }).records.map((r) => ({
      ...sfloat('glucose', r.glucose),
      timeOffsetMinutes: r.timeOffsetMinutes,
      crc: r.crc,
      ...(r.annunciation
        ? { annunciation: r.annunciation, annunciationFlags: cgmAnnunciationFlags(r.annunciation) }
        : {}),
      ...sfloat('trend', r.trend),
      ...sfloat('quality', r.quality),
    })),
  }),

  'cgm-feature': (bytes) => {
    const f = decodeCgmFeature(bytes);
    return {
      features: f.features,
      featureNames: cgmFeatureNames(f.features),
      e2eCrcSupported: cgmSupportsE2eCrc(f),
      ...sample(f.sampleType, f.sampleLocation),
      crc: f.crc,
    };
  },

  'cgm-status': (bytes, opts) => {
    const s = decodeCgmStatus(bytes, { crc: opts.crc });
    return {
      timeOffsetMinutes: s.timeOffsetMinutes,
      status: s.status,
      calTemp: s.calTemp,
      warning: s.warning,
      flags: cgmAnnunciationFlags(s),
      crc: s.crc,
    };
  },

  'cgm-session-start-time': (bytes, opts) => {
    const st = decodeCgmSessionStartTime(bytes, { crc: opts.crc });
    return {
      localTime: dt(st.dateTime),
      timeZoneMinutes: st.timeZoneMinutes,
      dstOffsetMinutes: st.dstOffsetMinutes,
      utc: cgmSessionStartToUtcIso(st),
      crc: st.crc,
    };
  },

  'cgm-session-run-time': (bytes, opts) => decodeCgmSessionRunTime(bytes, { crc: opts.crc }),

  racp: (bytes, opts) => {
    const m = decodeRacp(bytes, { service: opts.service });
    if (!('filter' in m)) return m;
    const { filter } = m;
    return {
      ...m,
      filter:
        filter.type === 'user-facing-time'
          ? { type: filter.type, operands: filter.operands.map(dt) }
          : { type: filter.type, operands: filter.operands },
    };
  },

  'cgm-socp': (bytes, opts) => {
    const { crc, ...m } = decodeCgmSocp(bytes, { crc: opts.crc });
    if ('level' in m) {
      const { level, ...rest } = m;
      return { ...rest, ...sfloat('level', level), crc };
    }
    if ('calibration' in m) {
      const { calibration: c, ...rest } = m;
      const { glucose, sampleType, sampleLocation, ...more } = c;
      return {
        ...rest,
        calibration: { ...sfloat('glucose', glucose), ...sample(sampleType, sampleLocation), ...more },
        crc,
      };
    }
    return { ...m, crc };
  },

  'glucose-measurement': (bytes) => {
    const m = decodeGlucoseMeasurement(bytes);
    const { value, unit } = glucoseDisplayValue(m);
    const special =
      m.concentration && m.concentration.value.kind !== 'number' ? m.concentration.value.kind : undefined;
    return {
      sequenceNumber: m.sequenceNumber,
      baseTime: dt(m.baseTime),
      timeOffsetMinutes: m.timeOffsetMinutes ?? 0,
      userFacingTime: glucoseUserFacingTime(m),
      value,
      unit,
      ...(special ? { valueSpecial: special } : {}),
      ...(m.concentration ? sample(m.concentration.sampleType, m.concentration.sampleLocation) : {}),
      ...(m.sensorStatus !== undefined
        ? { sensorStatus: m.sensorStatus, sensorStatusFlags: glsSensorStatusNames(m.sensorStatus) }
        : {}),
      contextFollows: m.contextFollows,
    };
  },

  'glucose-context': (bytes) => {
    const c = decodeGlucoseContext(bytes);
    return {
      sequenceNumber: c.sequenceNumber,
      ...(c.extendedFlags !== undefined ? { extendedFlags: c.extendedFlags } : {}),
      ...(c.carbohydrate
        ? {
            carbohydrate: {
              id: c.carbohydrate.id,
              name: carbohydrateName(c.carbohydrate.id),
              ...sfloat('kg', c.carbohydrate.amount),
            },
          }
        : {}),
      ...(c.meal !== undefined ? { meal: c.meal, mealName: mealName(c.meal) } : {}),
      ...(c.testerHealth
        ? {
            tester: c.testerHealth.tester,
            testerName: testerName(c.testerHealth.tester),
            health: c.testerHealth.health,
            healthName: healthName(c.testerHealth.health),
          }
        : {}),
      ...(c.exercise ? { exercise: c.exercise } : {}),
      ...(c.medication
        ? {
            medication: {
              id: c.medication.id,
              name: medicationName(c.medication.id),
              ...sfloat('amount', c.medication.amount),
              unit: c.medication.unit,
            },
          }
        : {}),
      ...sfloat('hba1cPercent', c.hba1c),
    };
  },

  'glucose-feature': (bytes) => {
    const f = decodeGlucoseFeature(bytes);
    return { features: f.features, featureNames: glucoseFeatureNames(f.features) };
  },
};
