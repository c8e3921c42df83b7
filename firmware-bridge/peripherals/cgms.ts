// The CGM Service as the simulator serves it (spec A): its UUIDs, the application ATT errors of its writes
// (spec 0.2), and a measurement that no collector should accept.
export const CGMS_UUID = '181f';
export const CGM_MEASUREMENT_UUID = '2aa7';
export const CGM_FEATURE_UUID = '2aa8';
export const CGM_STATUS_UUID = '2aa9';
export const CGM_SESSION_START_TIME_UUID = '2aaa';
export const CGM_SESSION_RUN_TIME_UUID = '2aab';
export const CGM_SOCP_UUID = '2aac';

/** Application ATT errors for CGMS writes (spec 0.2). */
export const CGM_ATT_MISSING_CRC = 0x80;
export const CGM_ATT_INVALID_CRC = 0x81;

/** Size 7 does not match flags 0xE3 (spec A.7 C5). */
export const MALFORMED_CGM_MEASUREMENT = Buffer.from('07e30c10060000', 'hex');
