// Versioned schema migrations, applied in order at start. Never edit a released migration; add a new one.
import type { Migration } from './migration.ts';
import { coreSchema } from './0001-core.ts';
import { oauthSchema } from './0002-oauth.ts';
import { outboxSchema } from './0003-outbox.ts';
import { fhirSearchIndex } from './0004-fhir-search.ts';
import { fhirSearchKeyset } from './0005-fhir-search-keyset.ts';
import { resourcesRowid } from './0006-resources-rowid.ts';
import { outboxEntryHeads } from './0007-outbox-entry-heads.ts';
import { assignmentPeriods } from './0008-assignment-periods.ts';
import { sessionSerial } from './0009-session-serial.ts';
import { systemTokenRevocations } from './0010-system-token-revocations.ts';
import { outboxRows } from './0013-outbox-rows.ts';
import { requestLogHead } from './0011-request-log-head.ts';
import { maintenanceWindows } from './0014-maintenance.ts';

export const migrations: Migration[] = [
  coreSchema,
  oauthSchema,
  outboxSchema,
  fhirSearchIndex,
  fhirSearchKeyset,
  resourcesRowid,
  outboxEntryHeads,
  assignmentPeriods,
  sessionSerial,
  systemTokenRevocations,
  requestLogHead,
  outboxRows,
  maintenanceWindows,
];
