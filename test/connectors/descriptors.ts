/** The connectors' descriptors as the engine loads them: checked against the schemas, settings included. */
import { join } from 'node:path';
import { loadConnector } from '../../engine/config/descriptors.js';
import type { ConnectorDescriptor } from '../../engine/connector/descriptor.js';

export const connectorsDir = join(import.meta.dirname, '../../connectors');

export function loadedDescriptor(name: string): ConnectorDescriptor {
  const loaded = loadConnector(connectorsDir, name);
  if (!loaded?.descriptor) throw new Error(`connector ${name}: ${loaded?.problems.map((p) => p.message).join('; ') ?? 'not found'}`);
  return loaded.descriptor;
}
