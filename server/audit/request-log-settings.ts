// Settings of the HDDT request log (config `server.fhir.requestLog`, where the key has always been; the log
// covers every HDDT interface of the HTTPS server, the authorization server's too), with their defaults.
import type { GatewayConfig } from '../../config/types.ts';

export interface RequestLogSettings {
  enabled: boolean;
  /** Folder of the daily files, relative to dataDir. */
  dir: string;
  /** HDDT: at least 30 days, then deleted. */
  retentionDays: number;
  /** Cap over all daily files; past it request lines are counted, not written (docs/request-log.md). */
  maxTotalBytes: number;
  /** Lines kept in memory while writes fail (disk full); further lines are counted, not kept. */
  maxQueuedLines: number;
  /** Client addresses counted apart per minute and kind of flood; the rest are counted together as `*`. */
  aggregateMaxAddresses: number;
}

export const REQUEST_LOG_DEFAULTS: RequestLogSettings = {
  enabled: true,
  dir: 'logs/requests',
  retentionDays: 30,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxQueuedLines: 10_000,
  aggregateMaxAddresses: 1_000,
};

export function requestLogSettings(config: GatewayConfig): RequestLogSettings {
  const fhir = (config.server as unknown as { fhir?: { requestLog?: Partial<RequestLogSettings> } }).fhir;
  return { ...REQUEST_LOG_DEFAULTS, ...fhir?.requestLog };
}
