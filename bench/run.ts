// `npm run bench -- <name> [...]`: runs benchmarks and prints one JSON object per benchmark on stdout.
const name = process.argv[2] ?? 'ingest';
const known: Record<string, () => Promise<{ run: (args: string[]) => Promise<object> }>> = {
  ingest: () => import('./ingest.ts'),
  ble: () => import('./ble.ts' as string),
  token: () => import('./token.ts' as string),
  fhir: () => import('./fhir.ts' as string),
  mqtt: () => import('./mqtt.ts' as string),
  startup: () => import('./startup.ts' as string),
  memory: () => import('./memory.ts' as string),
};

const names = name === 'all' ? Object.keys(known) : [name];
for (const n of names) {
  const load = known[n];
  if (!load) {
    process.stderr.write(`unknown benchmark "${n}"; known: ${Object.keys(known).join(', ')}, all\n`);
    process.exit(2);
  }
  const mod = await load();
  const result = await mod.run(process.argv.slice(3));
  process.stdout.write(`${JSON.stringify({ bench: n, ...result })}\n`);
}
