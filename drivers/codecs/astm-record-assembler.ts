// Joins the texts of accepted ASTM frames back into E1394 records. A record ends at CR; a record may span
// several frames (intermediate frames end in ETB), and one frame may in principle carry several records.
import { CodecError } from './codec-error.ts';

/** Longest record we accept (E1394 sets no limit; Contour records are under 300 characters). */
export const ASTM_MAX_RECORD = 64 * 1024;

export class AstmRecordAssembler {
  private pending = '';

  /** Feeds one frame's text; returns the records it completed, without their CR. */
  push(text: string): string[] {
    this.pending += text;
    const parts = this.pending.split('\r');
    this.pending = parts.pop() ?? '';
    if (this.pending.length > ASTM_MAX_RECORD) {
      this.pending = ''; // drop the runaway record so the next one starts clean
      throw new CodecError('ERR_TOO_LONG', `ASTM record exceeds ${ASTM_MAX_RECORD} characters`);
    }
    return parts.filter((p) => p.length > 0);
  }

  /** Text of a record still waiting for its CR (a partial record: never to be used as data). */
  get partial(): string {
    return this.pending;
  }

  reset(): void {
    this.pending = '';
  }
}
