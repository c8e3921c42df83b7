// A stand-in for Debian's `sg_raw` (sg3-utils) in tests: the same arguments the gateway's transport uses
//   sg_raw [-t SECS] [-s SLEN] [-r RLEN -o OFILE] DEVICE CDB-BYTES…
// with DEVICE a unix socket served by firmware-bridge/meters/sg-raw-server.ts. Exit status as sg_raw's:
// 0 good, 15 the device cannot be opened (gone), 97 other SCSI error (CHECK CONDITION).
import fs from 'node:fs';
import net from 'node:net';

const args = process.argv.slice(2);
let send = 0;
let out = null;
const rest = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '-t' || a === '-r') i++;
  else if (a === '-s') send = Number(args[++i]);
  else if (a === '-o') out = args[++i];
  else rest.push(a);
}
const [device, ...cdb] = rest;
const chunks = [];
if (send > 0) for await (const c of process.stdin) chunks.push(c);
const dataOut = send > 0 ? Buffer.concat(chunks).subarray(0, send) : null;
if (!fs.existsSync(device)) {
  process.stderr.write(`sg_raw: open error: ${device}: No such file or directory\n`);
  process.exit(15);
}
const sock = net.connect(device);
let reply = '';
sock.setEncoding('utf8');
sock.on('data', (d) => (reply += d));
sock.on('error', (e) => {
  process.stderr.write(`sg_raw: open error: ${device}: ${e.message}\n`);
  process.exit(15);
});
sock.on('end', () => {
  const r = JSON.parse(reply);
  if (r.gone) {
    process.stderr.write(`sg_raw: open error: ${device}: No such device\n`);
    process.exit(15);
  }
  if (r.check) {
    process.stderr.write(`SCSI Status: Check Condition\n ${r.check}\n`);
    process.exit(97);
  }
  if (out) fs.writeFileSync(out, Buffer.from(r.data, 'hex'));
  process.stderr.write('SCSI Status: Good\n');
  process.exit(0);
});
sock.write(`${JSON.stringify({ cdb: cdb.join(''), dataOut: dataOut ? dataOut.toString('hex') : null })}\n`);
