import type { Dispatcher } from 'undici';
import { getGlobalDispatcher } from './undici';

type Handler = Dispatcher.DispatchHandlers;

/**
 * How far one request got before it failed, as undici itself reports it: the one fact that decides
 * whether a failure may have been billed (issue #11). undici calls a handler's `onConnect` right
 * before it writes the first byte of the request on a connected socket (client-h1 `writeH1`, client-h2
 * alike), after DNS, TCP, TLS and any proxy tunnel; and `onRequestSent` once the whole body is written.
 * So an error that reaches the handler before `onConnect` left nothing of the request on any wire:
 * connect refused, DNS, TLS handshake (a reset during it included), connect timeout, proxy tunnel.
 *
 * Conservative by construction: only that positive observation counts as "not sent". An error undici
 * threw before dispatching, or one from a dispatcher that never called the handler, is "maybe sent".
 */
export class SendProgress {
  private dispatched = false;
  private writing = false;
  private failedUnsent = false;
  /** When the whole request had been written (Date.now()), if it was. */
  sentAt: number | undefined;

  /** `base` (undici's global dispatcher when undefined) with this request's progress observed. */
  dispatcher(base: Dispatcher | undefined): Dispatcher {
    const inner = base ?? getGlobalDispatcher();
    // compose() keeps the pool and its connections: only this call's handler is wrapped.
    return inner.compose((dispatch) => (options: Dispatcher.DispatchOptions, handler: Handler) => {
      this.dispatched = true;
      return dispatch(options, this.observe(handler));
    });
  }

  /** The request failed before any byte of it was written: retrying it cannot bill twice. */
  get nothingSent(): boolean {
    return this.failedUnsent;
  }

  private observe(handler: Handler): Handler {
    const progress = this;
    // Every callback undici 6 may call, forwarded unchanged (DecoratorHandler drops onRequestSent).
    const observed: Handler = {
      onConnect(abort) {
        let connecting = true;
        // api-request aborts inside onConnect when its signal fired while the request was queued:
        // undici then writes nothing (writeH1 checks request.aborted right after onConnect).
        const watched = (reason?: Error): void => {
          if (connecting) progress.writing = false;
          abort(reason);
        };
        progress.writing = true;
        try {
          return handler.onConnect?.(watched);
        } finally {
          connecting = false;
        }
      },
      onError(error) {
        if (progress.dispatched && !progress.writing) progress.failedUnsent = true;
        return handler.onError?.(error);
      },
      onUpgrade: handler.onUpgrade?.bind(handler),
      onResponseStarted: handler.onResponseStarted?.bind(handler),
      onHeaders: handler.onHeaders?.bind(handler),
      onData: handler.onData?.bind(handler),
      onComplete: handler.onComplete?.bind(handler),
      onBodySent: handler.onBodySent?.bind(handler),
    };
    (observed as { onRequestSent?: () => void }).onRequestSent = () => {
      progress.sentAt = Date.now();
      (handler as { onRequestSent?: () => void }).onRequestSent?.();
    };
    return observed;
  }
}
