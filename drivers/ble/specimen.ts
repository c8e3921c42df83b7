// Sample Type codes (spec A.3, shared by CGM Feature and Glucose Measurement) → the Reading's specimen, which
// decides the LOINC code downstream. Type 10 is control solution: stored for audit, never a patient value.
import type { Specimen } from '../../gateway/readings/reading.ts';

const CONTROL_SOLUTION_TYPE = 10;
const CONTROL_SOLUTION_LOCATION = 4;

export function specimenOf(sampleType: number, fallback: Specimen): Specimen {
  switch (sampleType) {
    case 1:
    case 2:
      return 'capillary';
    case 3:
    case 5:
    case 7:
      return 'blood';
    case 4:
    case 6:
    case 8:
      return 'plasma';
    case 9:
      return 'isf';
    default:
      return fallback;
  }
}

export function isControlSolution(sampleType: number, sampleLocation: number): boolean {
  return sampleType === CONTROL_SOLUTION_TYPE || sampleLocation === CONTROL_SOLUTION_LOCATION;
}
