// `hddt-gateway decode <kind> <hex> [--crc]`: decode one characteristic value (or serial frame) and
// print it as one line of JSON. Invalid hex or bytes exit 2 with one line naming the reason.
import { Option } from 'commander';
import type { Command } from 'commander';
import { CodecError } from '../../drivers/codecs/codec-error.ts';
import { parseHex } from '../../drivers/codecs/hex.ts';
import { UsageError, action } from './common.ts';
import { decodeKinds } from './decode-kinds/index.ts';
import type { DecodeOptions } from './decode-kinds/types.ts';

export function register(program: Command): void {
  const names = Object.keys(decodeKinds).sort();
  program
    .command('decode')
    .description('decode a device value given as hex and print it as JSON')
    .argument('<kind>', `what the bytes are: ${names.join(', ')}`)
    .argument('<hex>', 'the bytes in wire order, e.g. "06000C100600" or "06 00 0C 10 06 00"')
    .option('--crc', 'the device announced E2E-CRC support: values without a CRC are invalid')
    .addOption(
      new Option('--service <service>', 'RACP filter naming').choices(['gls', 'cgms']).default('gls'),
    )
    .action(
      action((kind: string, hex: string, opts: { crc?: boolean; service: 'gls' | 'cgms' }) => {
        const decode = Object.hasOwn(decodeKinds, kind) ? decodeKinds[kind] : undefined;
        if (!decode) throw new UsageError(`decode: unknown kind "${kind}" (known: ${names.join(', ')})`);
        const options: DecodeOptions = { crc: opts.crc === true, service: opts.service };
        let value: unknown;
        try {
          value = decode(parseHex(hex), options);
        } catch (err) {
          if (err instanceof CodecError) {
            throw new UsageError(`decode ${kind}: ${err.code}: ${err.message.replace(/\s+/g, ' ')}`);
          }
          throw err;
        }
        process.stdout.write(`${JSON.stringify(value)}\n`);
      }),
    );
}
