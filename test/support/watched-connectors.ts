/**
 * The installed connectors with some methods of one connector's objects replaced, for tests that
 * watch how the engine ends a sink (close, dispose), what a sink sends, or make a source or sink
 * answer strangely.
 */
import { installedConnectors } from '../../app/registry.js';
import type { ConnectorRegistry } from '../../engine/connector/registry.js';
import type { ConnectorModule, Sink, SinkCloseReport } from '../../engine/connector/types.js';
import type { LedgersyncError } from '../../engine/errors.js';
import type { ConnectionOptions, HttpConnection, HttpConnectionFactory, HttpRequest } from '../../engine/http/connection.js';

/** The connector object with some methods replaced; the others called on the connector itself. */
export function intercept<T extends object>(inner: T, replaced: { [K in keyof T]?: (inner: T) => T[K] }): T {
  return new Proxy(inner, {
    get(target, prop) {
      const replace = replaced[prop as keyof T];
      if (replace) return replace(target);
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export interface SinkWatch {
  /** `close` and `dispose`, in the order the engine called them. */
  calls: string[];
  /** What the sink's close reports, instead of what it would. */
  closeReport?: SinkCloseReport;
  /** Thrown by every write, when set. */
  writeError?: LedgersyncError;
}

/** A sink whose close and dispose are recorded in `watch.calls`, and whose writes fail with `watch.writeError` when set. */
export function watchSink(sink: Sink, watch: SinkWatch): Sink {
  return intercept<Sink>(sink, {
    write: (inner) => (batch, ctx) => (watch.writeError ? Promise.reject(watch.writeError) : inner.write(batch, ctx)),
    close: (inner) => async (ctx) => {
      watch.calls.push('close');
      await inner.close?.(ctx);
      return watch.closeReport;
    },
    dispose: (inner) => async () => {
      watch.calls.push('dispose');
      await inner.dispose?.();
    },
  });
}

/** The installed connectors with the modules named replaced by what `replace` makes of each. */
export function withModules(replace: Record<string, (module: ConnectorModule) => ConnectorModule>): ConnectorRegistry {
  const modules = { ...installedConnectors.modules };
  for (const [name, make] of Object.entries(replace)) modules[name] = make(installedConnectors.modules[name]!);
  return { ...installedConnectors, modules };
}

/** The installed connectors, with `system`'s sink watched (see watchSink). */
export function withSinkWatched(system: string, watch: SinkWatch): ConnectorRegistry {
  return withModules({ [system]: (module) => ({ ...module, createSink: (input) => watchSink(module.createSink!(input), watch) }) });
}

/** The installed connectors, with every HTTP request `system`'s sink sends handed to `seen` (with the connection's options) before it goes. */
export function withSinkRequests(system: string, seen: (request: HttpRequest, options: ConnectionOptions) => void): ConnectorRegistry {
  const watched = (http: HttpConnectionFactory): HttpConnectionFactory => ({
    connect(options) {
      const connection = http.connect(options);
      return intercept<HttpConnection>(connection, {
        request: (inner) => (request) => {
          seen(request, options);
          return inner.request(request);
        },
      });
    },
  });
  return withModules({ [system]: (module) => ({ ...module, createSink: (input) => module.createSink!({ ...input, http: watched(input.http) }) }) });
}
