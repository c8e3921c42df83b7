// The fake BlueZ's pairing: org.bluez.AgentManager1 on /org/bluez (RegisterAgent, UnregisterAgent,
// RequestDefaultAgent) and Device1.Pair, which asks the registered org.bluez.Agent1 what bluetoothd would ask it
// for the device's pairing method: nothing (Just Works), RequestPasskey (passkey entry: the meter shows a number
// the user types in), or RequestConfirmation (numeric comparison). The agent is called back on the bus name that
// registered it, as bluetoothd does.
import dbus from 'dbus-next';
import { bluezError, BluezError } from './errors.ts';

const { Interface } = dbus.interface;

export type PairingMethod =
  | { kind: 'just-works' }
  | { kind: 'passkey-entry'; passkey: number }
  | { kind: 'numeric-comparison'; passkey: number };

interface Agent {
  sender: string;
  path: string;
  capability: string;
}

/** What the agent was asked, in order (for tests). */
export interface AgentCall {
  member: 'RequestPasskey' | 'RequestConfirmation' | 'Release';
  device: string;
  passkey?: number;
}

export class AgentManager1 extends Interface {
  private readonly agents: AgentRegistry;

  constructor(agents: AgentRegistry) {
    super('org.bluez.AgentManager1');
    this.agents = agents;
  }
  RegisterAgent(path: string, capability: string): void {
    this.agents.register(path, capability);
  }
  UnregisterAgent(path: string): void {
    this.agents.unregister(path);
  }
  RequestDefaultAgent(path: string): void {
    this.agents.makeDefault(path);
  }
}
AgentManager1.configureMembers({
  methods: {
    RegisterAgent: { inSignature: 'os' },
    UnregisterAgent: { inSignature: 'o' },
    RequestDefaultAgent: { inSignature: 'o' },
  },
});

export class AgentRegistry {
  readonly calls: AgentCall[] = [];
  private readonly bus: dbus.MessageBus;
  private readonly agents: Agent[] = [];
  private defaultPath: string | null = null;
  /** the sender of the method call being handled (dbus-next does not pass it to interface methods) */
  private sender = '';

  constructor(bus: dbus.MessageBus) {
    this.bus = bus;
    bus.addMethodHandler((msg: dbus.Message) => {
      if (msg.interface === 'org.bluez.AgentManager1') this.sender = msg.sender ?? '';
      return false;
    });
  }

  register(path: string, capability: string): void {
    if (this.agents.some((a) => a.path === path && a.sender === this.sender))
      throw bluezError('org.bluez.Error.AlreadyExists', 'Already Exists');
    this.agents.push({ sender: this.sender, path, capability });
  }

  unregister(path: string): void {
    const i = this.agents.findIndex((a) => a.path === path && a.sender === this.sender);
    if (i < 0) throw bluezError(BluezError.doesNotExist, 'Does Not Exist');
    this.agents.splice(i, 1);
    if (this.defaultPath === path) this.defaultPath = null;
  }

  makeDefault(path: string): void {
    if (!this.agents.some((a) => a.path === path))
      throw bluezError(BluezError.doesNotExist, 'Does Not Exist');
    this.defaultPath = path;
  }

  private agent(): Agent | undefined {
    return this.agents.find((a) => a.path === this.defaultPath) ?? this.agents.at(-1);
  }

  /** Device1.Pair's exchange with the agent; resolves when paired, rejects with BlueZ's error. */
  async pair(devicePath: string, method: PairingMethod): Promise<void> {
    if (method.kind === 'just-works') return;
    const agent = this.agent();
    if (!agent || agent.capability === 'NoInputNoOutput')
      throw bluezError(BluezError.authenticationFailed, 'Authentication Failed');
    if (method.kind === 'passkey-entry') {
      this.calls.push({ member: 'RequestPasskey', device: devicePath });
      const [entered] = await this.callAgent(agent, 'RequestPasskey', 'o', [devicePath]);
      if (entered !== method.passkey)
        throw bluezError(BluezError.authenticationFailed, 'Authentication Failed');
      return;
    }
    this.calls.push({ member: 'RequestConfirmation', device: devicePath, passkey: method.passkey });
    await this.callAgent(agent, 'RequestConfirmation', 'ou', [devicePath, method.passkey]);
  }

  private async callAgent(
    agent: Agent,
    member: string,
    signature: string,
    body: unknown[],
  ): Promise<unknown[]> {
    try {
      const reply = await this.bus.call(
        new dbus.Message({
          destination: agent.sender,
          path: agent.path,
          interface: 'org.bluez.Agent1',
          member,
          signature,
          body,
        }),
      );
      return (reply?.body ?? []) as unknown[];
    } catch (err) {
      // an agent that rejects or cancels: the pairing fails as in bluetoothd
      const name = (err as { type?: string }).type ?? '';
      throw bluezError(
        name === 'org.bluez.Error.Canceled'
          ? 'org.bluez.Error.AuthenticationCanceled'
          : 'org.bluez.Error.AuthenticationRejected',
        'Authentication Rejected',
      );
    }
  }
}
