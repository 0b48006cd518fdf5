// The sidecar's two optional HTTP listeners: the local push endpoint on localhost (OTLP/HTTP and Pushgateway-style
// pushes, plus /readyz) and the probe-only listener the kubelet's startupProbe reaches on the Pod IP, where the
// push API must not be exposed. A listener that cannot start is logged and left out; the sidecar still runs.

import type { Logger } from 'pino';
import { type LocalPushes, type LocalPushServer, startLocalPushServer } from './local-push.ts';

export interface ListenersOptions {
  readonly pushListen: string | undefined;
  readonly probeListen: string | undefined;
  readonly pushes: LocalPushes;
  /** Synced and able to flush: what /readyz (and so the startupProbe) waits for. */
  readonly ready: () => boolean;
  readonly logger: Logger;
}

export class Listeners {
  readonly #push: Promise<LocalPushServer | undefined>;
  readonly #probes: Promise<LocalPushServer | undefined>;
  #pushServer: LocalPushServer | undefined;

  constructor(o: ListenersOptions) {
    const log = o.logger;
    this.#push =
      o.pushListen === undefined
        ? Promise.resolve(undefined)
        : startLocalPushServer({
            listen: o.pushListen,
            pushes: o.pushes,
            ready: o.ready,
            logger: log.child({ part: 'local-push' }),
          }).then(
            (srv) => {
              this.#pushServer = srv;
              log.info({ address: srv.address }, 'local push endpoint listening');
              return srv;
            },
            (err: Error) => {
              log.error({ err: err.message, listen: o.pushListen }, 'local push endpoint failed to start');
              return undefined;
            },
          );
    this.#probes =
      o.probeListen === undefined
        ? Promise.resolve(undefined)
        : startLocalPushServer({
            listen: o.probeListen,
            pushes: o.pushes,
            ready: o.ready,
            logger: log.child({ part: 'probes' }),
            probesOnly: true,
          }).catch((err: Error) => {
            log.error({ err: err.message, listen: o.probeListen }, 'probe endpoint failed to start');
            return undefined;
          });
  }

  /** Address of the local push endpoint once listening. */
  get pushAddress(): string | undefined {
    return this.#pushServer?.address;
  }

  /** Resolves once the push endpoint listens (or failed to): the first push waits for it. */
  async pushStarted(): Promise<void> {
    await this.#push;
  }

  /** No new local pushes after this: what was accepted goes into the final batch. */
  async closePush(): Promise<void> {
    await (await this.#push)?.close();
  }

  async closeProbes(): Promise<void> {
    await (await this.#probes)?.close();
  }
}
