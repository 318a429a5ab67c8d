/**
 * The connectors an installation offers. The engine knows none of its own: its caller (app/)
 * builds the registry once and hands it to every command.
 */
import { LedgersyncError } from '../errors.js';
import type { ConnectorModule } from './types.js';

export interface ConnectorRegistry {
  /** Folder holding one `<name>/connector.yaml` descriptor per connector. */
  readonly descriptorsDir: string;
  /** Connector modules by the name pipelines use in `connector:`. */
  readonly modules: Readonly<Record<string, ConnectorModule>>;
}

export function connectorModule(registry: ConnectorRegistry, name: string): ConnectorModule {
  const module = registry.modules[name];
  if (!module) {
    throw new LedgersyncError('unknown_connector', 'config', `no connector named '${name}'`, {
      fix: `use one of: ${Object.keys(registry.modules).join(', ')}`,
    });
  }
  return module;
}
