// `hddt-gateway conformance`: the HDDT conformance kit (conformance/) against any Device Data Recorder, ours or
// another vendor's. Writes report.xml (JUnit), report.html and report.json into --report. Exit codes: 0 when
// no MUST check failed (with --strict: none was skipped either), 1 when one did, 2 for bad options.
import path from 'node:path';
import { CommanderError, type Command } from 'commander';
import { KitOptionsError, kitOptions, type RawKitOptions } from '../../conformance/options.ts';
import { writeReports } from '../../conformance/report/write.ts';
import { GROUP_NAMES, runKit } from '../../conformance/suite/run.ts';
import { action } from './common.ts';

interface CliOptions extends RawKitOptions {
  report: string;
  strict?: boolean;
  quiet?: boolean;
}

const DESCRIPTION =
  'HDDT conformance kit: checks any Device Data Recorder (OAuth, FHIR, profiles, logs) and writes JUnit, HTML and JSON reports';

async function conformance(o: CliOptions, version: string): Promise<void> {
  const opts = kitOptions(o);
  const unknown = (opts.only ?? []).filter((g) => !GROUP_NAMES.includes(g));
  if (unknown.length > 0) {
    throw new KitOptionsError(`--only: no group ${unknown.join(', ')} (groups: ${GROUP_NAMES.join(', ')})`);
  }
  const log = o.quiet ? undefined : (line: string) => process.stderr.write(`${line}\n`);
  const report = await runKit(opts, { ...(log ? { log } : {}), version });
  const files = writeReports(report, path.resolve(o.report));
  const s = report.summary;
  process.stdout.write(
    `${s.total} checks: ${s.pass} passed, ${s.fail} failed (${s.mustFailed} MUST), ${s.skip} skipped ` +
      `(${s.mustSkipped} MUST)\nreports: ${files.html}\n         ${files.junit}\n         ${files.json}\n`,
  );
  const failed = s.mustFailed > 0 || (o.strict === true && s.mustSkipped > 0);
  process.exitCode = failed ? 1 : 0;
}

export function register(program: Command): void {
  program
    .command('conformance')
    .description(DESCRIPTION)
    .option(
      '--base <url>',
      'the DDR authorization server issuer (metadata at <base>/.well-known/oauth-authorization-server)',
    )
    .option('--fhir-base <url>', 'FHIR base URL (default <base>/fhir)')
    .option('--client-id <id>', 'the DiGA client_id registered at the DDR, urn:diga:bfarm:NNNNN')
    .option('--redirect-uri <uri>', 'the redirect URI registered for that client')
    .option('--client-cert <file>', "the DiGA's registered TLS client certificate (PEM)")
    .option('--client-key <file>', 'its private key (PEM)')
    .option('--ca <file>', 'CA certificate(s) the DDR server certificate chains to (PEM)')
    .option(
      '--other-client-cert <file>',
      "another registered DiGA's certificate (enables the wrong-certificate checks)",
    )
    .option('--other-client-key <file>', 'its private key (PEM)')
    .option(
      '--login-script <file>',
      'login script (JSON): test patients a and b, optional page selectors (docs/conformance.md)',
    )
    .option('--browser', 'log in by hand in a visible Chromium window instead of a login script')
    .option('--chromium <path>', 'Chromium executable (default $CHROMIUM_PATH or /usr/bin/chromium)')
    .option('--request-log <path>', "the DDR's request log, JSON lines (a file or a folder of them)")
    .option('--status-url <url>', "the DDR's public status feed (default <base>/service/status)")
    .option('--only <groups>', `run only these groups, comma-separated: ${GROUP_NAMES.join(', ')}`)
    .option('--page-size <n>', '_count for the paging checks (default 5)')
    .option('--report <dir>', 'folder for report.xml, report.html and report.json', 'conformance-report')
    .option('--strict', 'exit 1 also when a MUST check was skipped')
    .option('--quiet', 'no line per check on stderr')
    .exitOverride((err) => {
      // bad options are usage errors: exit code 2 like every other invalid input (help and version stay 0)
      throw err.exitCode === 0 ? err : new CommanderError(2, err.code, err.message);
    })
    .action(action((o: CliOptions) => conformance(o, program.version() ?? 'dev')));
}
