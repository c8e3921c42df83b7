// Scopes of the operator API (system clients only). They share no prefix with the SMART `patient/` scopes of
// HDDT, and the authorization server never grants them to a DiGA, nor SMART scopes to a system client.
export const OPERATOR_SCOPES = [
  'operator/devices.read',
  'operator/assignments.read',
  'operator/assignments.write',
  'operator/pairings.read',
  'operator/outbox.read',
] as const;

export type OperatorScope = (typeof OPERATOR_SCOPES)[number];

export function isOperatorScope(s: string): s is OperatorScope {
  return (OPERATOR_SCOPES as readonly string[]).includes(s);
}
