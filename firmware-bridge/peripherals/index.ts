// Public surface of the simulated BLE sensors (see README.md).
export { CgmSimulator, type CgmSimulatorOptions } from './cgm-simulator.ts';
export type { CgmRecordSpec, CgmHistoryOptions, CgmAlertLevels, StoredCgmRecord } from './cgm-records.ts';
export {
  CGMS_UUID,
  CGM_MEASUREMENT_UUID,
  CGM_FEATURE_UUID,
  CGM_STATUS_UUID,
  CGM_SESSION_START_TIME_UUID,
  CGM_SESSION_RUN_TIME_UUID,
  CGM_SOCP_UUID,
  CGM_ATT_MISSING_CRC,
  CGM_ATT_INVALID_CRC,
  MALFORMED_CGM_MEASUREMENT,
} from './cgms.ts';
export {
  GlucoseMeterSimulator,
  type GlucoseMeterOptions,
  type GlucoseRecordSpec,
  type GlucoseRawRecord,
  type GlucoseContextSpec,
  type GlucoseHistoryOptions,
  type StoredGlucoseRecord,
  GLS_UUID,
  GLUCOSE_MEASUREMENT_UUID,
  GLUCOSE_CONTEXT_UUID,
  GLUCOSE_FEATURE_UUID,
  MALFORMED_GLUCOSE_MEASUREMENT,
} from './glucose-meter-simulator.ts';
export { type Faults, type FaultsInput, NO_FAULTS } from './faults.ts';
export { RACP_UUID, type TransferEnd, type TransferOutcome } from './racp-server.ts';
export type { RequestLogEntry } from './request-log.ts';
export type { SensorOptions } from './simulated-sensor.ts';
export { DEVICE_INFORMATION_UUID } from './device-information.ts';
export { PATTERNS, type Pattern } from './patterns.ts';
export {
  loadScenario,
  parseScenario,
  ScenarioError,
  SCENARIO_SCHEMA_PATH,
  type Scenario,
  type PeripheralScenario,
  type CgmScenario,
  type GlucoseScenario,
} from './scenario.ts';
export {
  startSimulation,
  type Simulation,
  type SimulationOptions,
  type SimulationDescription,
  type AnySimulator,
} from './simulation.ts';
export { applyControl, type ControlCommand, type ControlReply } from './control.ts';
export { BlenoHost, blenoBindingOptions, type BlenoHostOptions } from './bleno-adapter.ts';
export {
  startBlenoSimulation,
  type BlenoSimulation,
  type BlenoSimulationOptions,
  type BlenoPeripheralDescription,
} from './bleno-simulation.ts';
