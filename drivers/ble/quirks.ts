// Vendor deviations from the Glucose Profile, as data: each entry is one named behaviour, the devices it applies
// to (Device Information strings, advertised name, company id), and the public driver it was taken from. The
// glucose driver asks resolveQuirks() once per visit, after reading Device Information, and never tests a vendor
// name itself. docs/ble.md says how to add an entry; each has a simulator scenario in
// firmware-bridge/peripherals/scenarios/quirk-*.json and a test in test/drivers/ble/quirks.test.ts.

/** How the meter's clock is read (and set). */
export type ClockSource = 'current-time-service' | 'date-time-in-glucose-service' | 'isens-vendor' | 'none';

export interface MeterBehaviour {
  clock: ClockSource;
  /** Wait this long after subscribing and between RACP procedures (meters that drop early requests). */
  racpSettleMs: number;
  /** reversed: sequence numbers count back from the newest record, so they identify nothing. */
  sequence: 'ascending' | 'reversed';
  /** The meter answers RACP only on a bonded link (it stays silent otherwise). */
  racpNeedsBond: boolean;
  /** The Glucose Measurement Context meal code that marks a blood ketone test (not glucose), or null. */
  ketoneMeal: number | null;
}

/** All fields given must match (text: case-insensitive prefix); an entry applies when one of its matchers does. */
export interface QuirkMatch {
  manufacturer?: string;
  model?: string;
  /** the advertised local name */
  name?: string;
  /** the company identifier in the advertised manufacturer data */
  companyId?: number;
}

export interface QuirkEntry {
  name: string;
  /** Every device, or the ones matched. */
  match: 'any' | readonly QuirkMatch[];
  apply: Partial<MeterBehaviour>;
  /** Where the behaviour is described (public driver source). */
  source: string;
}

export const STANDARD_BEHAVIOUR: MeterBehaviour = {
  clock: 'current-time-service',
  racpSettleMs: 0,
  sequence: 'ascending',
  racpNeedsBond: false,
  ketoneMeal: null,
};

export const METER_QUIRKS: readonly QuirkEntry[] = [
  {
    // xDrip+ app/src/main/java/com/eveningoutpost/dexdrip/services/BluetoothGlucoseMeter.java, onCharacteristicRead:
    // "Roche Aviva Connect uses a DateTime characteristic instead" (0x2A08 in the Glucose service, not CTS 0x2A2B).
    name: 'roche-date-time-characteristic',
    match: [{ manufacturer: 'Roche' }],
    apply: { clock: 'date-time-in-glucose-service' },
    source: 'xDrip+ BluetoothGlucoseMeter.java (manufacturer startsWith "Roche")',
  },
  {
    // xDrip+ BluetoothGlucoseMeter.java waits 600 ms ("Delay for settling") after connecting before it discovers
    // and asks; Tidepool's bluetoothLEDriver.js waits 500 ms before Number of Stored Records and 500 ms before
    // Report Stored Records ("to prevent GATT operation already in progress"). The simulator's model of it: a
    // request that comes earlier goes unanswered.
    name: 'roche-racp-settle',
    match: [{ manufacturer: 'Roche' }],
    apply: { racpSettleMs: 600 },
    source:
      'xDrip+ BluetoothGlucoseMeter.java waitFor(600); Tidepool bluetoothLEDriver.js fetchData setTimeout 500',
  },
  {
    // xDrip+ BluetoothGlucoseMeter.java: for "i-SENS" the CTS read is deleted and the clock is set through
    // 0xFFF0/0xFFF1 (caresens/TimeTx.java); Tidepool bluetoothLEDriver.js getConfigInfo reads it there first
    // (CareSens, ReliOn 2395/0015 names) and writes it only when it is off.
    name: 'isens-vendor-clock',
    match: [
      { manufacturer: 'i-SENS' },
      { name: 'CareSens' },
      { name: 'ReliOn 2395' },
      { name: 'ReliOn 0015' },
    ],
    apply: { clock: 'isens-vendor' },
    source:
      'xDrip+ BluetoothGlucoseMeter.java + caresens/TimeTx.java; Tidepool bluetoothLEDriver.js getConfigInfo',
  },
  {
    // xDrip+ BluetoothGlucoseMeter.java: "Diamond Mobile Mini DM30b firmware v1.2.4 has reversed sequence numbers
    // and first item is last item and no clock access" (manufacturer "TaiDoc"); it sets sequenceNotReliable and
    // derives a record's identity from its time.
    name: 'taidoc-reversed-sequence',
    match: [{ manufacturer: 'TaiDoc' }],
    apply: { sequence: 'reversed', clock: 'none' },
    source: 'xDrip+ BluetoothGlucoseMeter.java (manufacturer startsWith "TaiDoc")',
  },
  {
    // xDrip+ BluetoothGlucoseMeter.java onServicesDiscovered creates a bond before it requests records ("device must
    // be in pairing mode"); Tidepool bluetoothLEDriver.js fetchData gives 30 s "to confirm pairing on meter" and
    // then fails with "Did the meter pair successfully?". Users report it of Contour Next One, Accu-Chek
    // Guide/Instant and CareSens (issue 18); the manufacturer strings are to be confirmed by `ble capture`.
    name: 'racp-after-bond',
    match: [
      { manufacturer: 'Roche' },
      { manufacturer: 'Ascensia' },
      { manufacturer: 'Bayer' },
      { manufacturer: 'i-SENS' },
    ],
    apply: { racpNeedsBond: true },
    source: 'xDrip+ BluetoothGlucoseMeter.java createBond(); Tidepool bluetoothLEDriver.js fetchData timeout',
  },
  {
    // Meal code 6 is reserved in the Glucose Profile; CareSens Dual meters send blood ketone tests with it. xDrip+
    // caresens/ContextRx.java ketone(): mealType == 0x06 (the record is not a blood glucose test); Tidepool
    // bluetoothLEDriver.js processData: context.meal === 6 → makeBloodKetone, value / 10 mmol/L, HI above 8.0.
    // Applied to every meter: read as glucose, a ketone value would be a dangerous wrong glucose reading.
    name: 'ketone-context-meal-6',
    match: 'any',
    apply: { ketoneMeal: 6 },
    source: 'xDrip+ caresens/ContextRx.java ketone(); Tidepool bluetoothLEDriver.js processData isKetone',
  },
];

export interface DeviceFacts {
  manufacturer?: string;
  model?: string;
  name?: string;
  companyId?: number;
}

const prefix = (value: string | undefined, p: string | undefined) =>
  p === undefined || (value !== undefined && value.toLowerCase().startsWith(p.toLowerCase()));

function matches(m: QuirkMatch, d: DeviceFacts): boolean {
  return (
    prefix(d.manufacturer, m.manufacturer) &&
    prefix(d.model, m.model) &&
    prefix(d.name, m.name) &&
    (m.companyId === undefined || d.companyId === m.companyId)
  );
}

/** The behaviour of a device: the standard one with every matching entry applied in table order. */
export function resolveQuirks(
  d: DeviceFacts,
  table: readonly QuirkEntry[] = METER_QUIRKS,
): { behaviour: MeterBehaviour; applied: string[] } {
  let behaviour = { ...STANDARD_BEHAVIOUR };
  const applied: string[] = [];
  for (const q of table) {
    if (q.match !== 'any' && !q.match.some((m) => matches(m, d))) continue;
    behaviour = { ...behaviour, ...q.apply };
    applied.push(q.name);
  }
  return { behaviour, applied };
}
