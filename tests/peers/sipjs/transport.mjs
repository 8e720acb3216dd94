// A SIP.js Transport over one UDP socket on 127.0.0.1 (sip.js's interface
// in lib/api/transport.d.ts). SIP.js is built for WebSocket, where every
// message goes over the one connection to the edge proxy; we keep that
// model: everything SIP.js sends (requests and the responses it builds)
// goes to the one peer given in the options, whatever Via or Contact say.
import dgram from "node:dgram";
import { EmitterImpl, TransportState } from "sip.js";

export class UdpTransport {
  // options: { peer: {host, port}, onSend(message) } -- onSend sees every
  // message handed to the socket, so the agent knows when a response left.
  constructor(logger, options = {}) {
    this.logger = logger;
    this.peer = options.peer;
    this.onSend = options.onSend;
    this.protocol = "UDP"; // goes into the Via of SIP.js's own requests
    this.stateChange = new EmitterImpl();
    this.onConnect = undefined;
    this.onDisconnect = undefined;
    this.onMessage = undefined;
    this._state = TransportState.Disconnected;
    this.socket = undefined;
  }

  get state() {
    return this._state;
  }

  isConnected() {
    return this._state === TransportState.Connected;
  }

  // The bound address ({address, port}), once connected.
  address() {
    return this.socket ? this.socket.address() : undefined;
  }

  async connect() {
    if (this._state === TransportState.Connected) return;
    this.transition(TransportState.Connecting);
    // the family of siptap's UAC: ::1 with siptap --ip ::1
    const v6 = this.peer.host.includes(":");
    const socket = dgram.createSocket(v6 ? "udp6" : "udp4");
    try {
      await new Promise((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(0, v6 ? "::1" : "127.0.0.1", () => {
          socket.off("error", reject);
          resolve();
        });
      });
    } catch (error) {
      socket.close();
      this.transition(TransportState.Disconnected, error);
      throw error;
    }
    if (this._state !== TransportState.Connecting) {
      // disconnect() or dispose() came while we were binding
      socket.close();
      throw new Error("UDP transport disconnected while connecting");
    }
    this.socket = socket;
    socket.on("message", (data) => this.receive(data));
    // A UDP socket only errors when something is badly wrong; the
    // interface wants the transport to drop to Disconnected then.
    socket.on("error", (error) => this.lost(error));
    this.transition(TransportState.Connected);
  }

  async disconnect() {
    if (this._state === TransportState.Disconnected) return;
    this.transition(TransportState.Disconnecting);
    this.closeSocket();
    this.transition(TransportState.Disconnected);
  }

  async dispose() {
    await this.disconnect();
    this.stateChange.removeAllListeners();
  }

  send(message) {
    if (!this.isConnected()) {
      return Promise.reject(new Error(`UDP transport is ${this._state}`));
    }
    try {
      if (this.onSend) this.onSend(message);
    } catch (error) {
      this.logger.error(`onSend hook threw: ${error && error.message}`);
    }
    return new Promise((resolve, reject) => {
      this.socket.send(message, this.peer.port, this.peer.host, (error) =>
        error ? reject(error) : resolve());
    });
  }

  receive(data) {
    if (!this.isConnected() || !this.onMessage) return;
    // SIP.js parses synchronously and may throw on odd input; a datagram
    // must never take the process (or the other tests) down.
    try {
      this.onMessage(data.toString("utf8"));
    } catch (error) {
      this.logger.error(`handling an incoming message threw: ${error && error.stack}`);
    }
  }

  lost(error) {
    this.closeSocket();
    if (this._state !== TransportState.Disconnected) {
      this.transition(TransportState.Disconnected, error);
    }
  }

  closeSocket() {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
  }

  // onConnect on entering Connected; onDisconnect on leaving it (with the
  // error when we did not ask for it), as the interface demands.
  transition(state, error) {
    const was = this._state;
    if (was === state) return;
    this._state = state;
    this.stateChange.emit(state);
    if (state === TransportState.Connected && this.onConnect) this.onConnect();
    if (was === TransportState.Connected && this.onDisconnect) {
      this.onDisconnect(state === TransportState.Disconnecting ? undefined : error);
    }
  }
}
