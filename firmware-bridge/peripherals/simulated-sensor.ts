// What the CGM and the glucose simulator share: the virtual peripheral with Device Information, the
// RACP characteristic, the request log, faults, and teardown.
import { EventEmitter } from 'node:events';
import type {
  CharacteristicDefinition,
  ServiceDefinition,
  PeripheralHost,
  VirtualPeripheral,
} from '../hci/index.ts';
import { deviceInformationService, serialFromAddress } from './device-information.ts';
import { NO_FAULTS, mergeFaults, type Faults, type FaultsInput } from './faults.ts';
import { RACP_UUID, RacpServer, type RacpBackend, type TransferEnd } from './racp-server.ts';
import { logEntry, type RequestLogEntry } from './request-log.ts';

export interface SensorOptions {
  /** BD_ADDR "aa:bb:cc:dd:ee:ff" (advertised as a random address) */
  address: string;
  name?: string;
  manufacturer?: string;
  model?: string;
  serial?: string;
  firmware?: string;
  faults?: FaultsInput;
  /** delay between the records of a RACP transfer, ms (default 0) */
  transferPaceMs?: number;
}

export interface SensorEvents<Stored> {
  racp: [entry: RequestLogEntry];
  socp: [entry: RequestLogEntry];
  record: [record: Stored];
  'transfer-end': [end: TransferEnd];
}

export interface SensorShape {
  kind: 'cgm' | 'glucose';
  defaultName: string;
  defaultModel: string;
  serviceUuid: string;
  appearance: number;
}

export abstract class SimulatedSensor<Stored> extends EventEmitter<SensorEvents<Stored>> {
  readonly kind: 'cgm' | 'glucose';
  readonly peripheral: VirtualPeripheral;
  readonly address: string;
  readonly name: string;
  readonly serial: string;
  readonly racpRequests: RequestLogEntry[] = [];
  /** RACP requests the sensor left unanswered on purpose (racpDrops) */
  readonly racpIgnored: RequestLogEntry[] = [];
  protected currentFaults: Faults = NO_FAULTS;
  protected readonly racp: RacpServer<Stored>;
  private paceMs = 0;
  private closed = false;

  protected constructor(controller: PeripheralHost, opts: SensorOptions, shape: SensorShape) {
    super();
    this.kind = shape.kind;
    this.name = opts.name ?? shape.defaultName;
    this.serial = opts.serial ?? serialFromAddress(opts.address);
    this.transferPaceMs = opts.transferPaceMs ?? 0;
    const racpChar: CharacteristicDefinition = {
      uuid: RACP_UUID,
      properties: ['write', 'indicate'],
      onWrite: (data) => {
        const entry = logEntry(data);
        if (this.racpDrops()) {
          this.racpIgnored.push(entry);
          return;
        }
        this.racpRequests.push(entry);
        this.emit('racp', entry);
        return this.racp.onWrite(data);
      },
    };
    this.peripheral = controller.addPeripheral({
      address: opts.address,
      name: this.name,
      serviceUuids: [shape.serviceUuid],
      appearance: shape.appearance,
      services: [
        (() => {
          const own = this.ownService(opts);
          return { ...own, characteristics: [...own.characteristics, racpChar] };
        })(),
        deviceInformationService({
          manufacturer: opts.manufacturer ?? 'Glukko Inc.',
          model: opts.model ?? shape.defaultModel,
          serial: this.serial,
          firmware: opts.firmware ?? '1.0.0',
        }),
        ...this.extraServices(opts),
      ],
    });
    this.address = this.peripheral.address;
    this.racp = new RacpServer(this.peripheral, this.backend(), (end) => this.emit('transfer-end', end));
    // subclasses call setFaults(opts.faults) at the end of their constructor, once their fields exist
  }

  /**
   * The kind's own service without the RACP characteristic. Called from this constructor, before the
   * subclass fields exist: handlers may use `this` (they run later), the body must not.
   */
  protected abstract ownService(opts: SensorOptions): ServiceDefinition;

  /** More services (a clock, a vendor service); same rule as ownService. */
  protected extraServices(_opts: SensorOptions): ServiceDefinition[] {
    return [];
  }

  /** True: leave this RACP request unanswered (a quirky meter); the write itself succeeds. */
  protected racpDrops(): boolean {
    return false;
  }

  /** Same rule as ownService: build closures only. */
  protected abstract backend(): RacpBackend<Stored>;

  get faults(): Faults {
    return this.currentFaults;
  }

  /** Merges faults (null clears one). Throws RangeError for invalid values. */
  setFaults(input: FaultsInput): Faults {
    const next = mergeFaults(this.currentFaults, input);
    this.checkFaults(next);
    this.currentFaults = next;
    this.peripheral.setUnresponsive(next.unresponsive);
    return next;
  }

  protected checkFaults(_f: Faults): void {}

  /** A RACP transfer is running. */
  get transferring(): boolean {
    return this.racp.busy;
  }

  /** Delay between the records of a RACP transfer, ms; may be changed at any time. */
  get transferPaceMs(): number {
    return this.paceMs;
  }

  set transferPaceMs(ms: number) {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`transferPaceMs must be >= 0, got ${ms}`);
    this.paceMs = ms;
  }

  protected dropLinkFired(): void {
    const times = this.currentFaults.dropLinkTimes;
    if (times !== null) this.currentFaults = { ...this.currentFaults, dropLinkTimes: times - 1 };
  }

  clearLogs(): void {
    this.racpRequests.length = 0;
    this.racpIgnored.length = 0;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Stops timers and takes the peripheral off the air (drops any link). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    this.peripheral.remove();
  }

  protected onClose(): void {}
}
