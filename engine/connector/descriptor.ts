/**
 * The typed form of a `connectors/<name>/connector.yaml` descriptor. The JSON Schema in
 * `schemas/connector.schema.json` is the authority; these types mirror it.
 */
export type AuthDescriptor =
  | { type: 'none' }
  | { type: 'basic'; username: string; password: string }
  | { type: 'api_key_header'; header: string; value: string }
  | { type: 'bearer'; token: string }
  | {
      type: 'oauth2_refresh_token';
      token_url: string;
      /** Connection property that, when set and not empty, replaces `token_url` (tests, proxies). */
      token_url_override_property?: string;
      client_id: string;
      client_secret: string;
      refresh_token: string;
    }
  | { type: 'session'; description: string };

export type PagingDescriptor =
  | { type: 'offset_token'; limit_param: string; page_size: number; offset_param: string; next_field: string; records_field: string }
  | { type: 'top_skip'; top_param: string; skip_param: string; page_size: number }
  | { type: 'limit_offset'; limit_param: string; offset_param: string; page_size: number; records_field: string; count_field?: string }
  | { type: 'none' };

export interface CursorDescriptor {
  /** Record field holding the cursor value (unix seconds). */
  field: string;
  /** Whether the list can be sorted ascending by the cursor (then checkpoints move after every page). */
  sortable: boolean;
  /** Sort parameter value used when the cursor is not sortable (e.g. `date` for Chargebee credit notes). */
  fallback_sort?: string;
}

export interface EndpointDescriptor {
  description: string;
  path: string;
  /** Key wrapping each record in a list entry (`{"invoice": {...}}` → `invoice`). */
  record_key?: string;
  id_field?: string;
  version_field?: string;
  cursor?: CursorDescriptor;
  include_deleted?: boolean;
  /** Record field compared with the pipeline's `start_date` (e.g. `date` on invoices). */
  start_date_field?: string;
  /** How that field is written: unix seconds (the default), or a date as text (a day in the pipeline's timezone). */
  start_date_format?: 'unix_seconds' | 'MM/DD/YYYY';
  /** Product catalog version the endpoint belongs to (Chargebee: `v1` plans/addons, `v2` items). */
  catalog?: string;
  /** Fixed query parameters. */
  params?: Record<string, string>;
}

export interface BaseUrlDescriptor {
  /** Template with `{param}` placeholders filled from the connection block. */
  template: string;
  /** Alternative templates by name, e.g. sandbox vs production, selected by `variant_property`. */
  variants?: Record<string, string>;
  /** Connection property naming the variant; empty or absent means `template`. */
  variant_property?: string;
  /** Pattern each template parameter must match, so a value cannot steer requests to another host. */
  parameters?: Record<string, { pattern: string; description: string }>;
  /** Connection property that replaces the templated URL (tests, proxies, fakes). */
  override_property?: string;
  /**
   * `url` (default): the override replaces the whole URL, and a bare host gets the template's path.
   * `host`: the override replaces scheme, host and port only; the template's path is always kept.
   */
  override_replaces?: 'url' | 'host';
}

export interface ConnectorDescriptor {
  name: string;
  title: string;
  description: string;
  roles: ('source' | 'sink')[];
  /** JSON Schema of the pipeline's connection block for this connector. */
  connection: {
    properties: Record<string, Record<string, unknown> & { description: string; secret?: boolean; shapes_payload?: boolean }>;
    required?: string[];
  };
  base_url?: BaseUrlDescriptor;
  auth?: AuthDescriptor;
  paging?: PagingDescriptor;
  rate_limit?: { requests: number; per_seconds: number; concurrency: number };
  retry?: {
    max_attempts?: number;
    base_delay_ms?: number;
    max_delay_ms?: number;
    max_retry_after_s?: number;
    /** The vendor's documented throttle answers: refused before processing, so a write answered so may be sent again. */
    throttle_answers?: { status: number; body_pattern: string }[];
  };
  timeout_ms?: number;
  endpoints?: Record<string, EndpointDescriptor>;
  /** Sinks: the most records handed to one write; the runner splits pages to fit. */
  max_batch?: number;
  /** Target objects a sink accepts, with their natural key and batch size. */
  objects?: Record<string, { description: string; natural_key?: string; max_batch?: number; fields?: Record<string, FieldConstraint> }>;
  /** What `ledgersync check` can verify in the target: kinds of identifiers, and the mapped fields holding them. */
  references?: ReferencesDescriptor;
  /**
   * Connector-specific data (API versions, limits…), checked against `settings.schema.json` beside
   * the descriptor when it is loaded; read it with `settingsOf`.
   */
  settings?: Record<string, unknown>;
  /** Directory the descriptor was loaded from. */
  readonly dir: string;
}

export interface ReferencesDescriptor {
  /** Kind → what it is in the target (how a value is matched), e.g. `Account`: "a QuickBooks Account, by its Id". */
  kinds: Record<string, string>;
  /** Mapped field path (matched as the end of the path) → the kind its value is. */
  fields?: Record<string, string>;
}

/** The values a sink object's field accepts, checked by `validate` against what a mapping can give it. */
export interface FieldConstraint {
  description: string;
  /** Every value the target accepts. */
  enum: string[];
  /** What an accepted value is, for messages: "'card' is not <accepts>: use one of …". */
  accepts: string;
  /** The sink lowercases the value before sending it. Default false. */
  ignore_case?: boolean;
}

/**
 * The connector's own settings, typed. The loader has already validated them against the
 * connector's `settings.schema.json` (engine/config/descriptors.ts), so `T` must mirror that schema.
 */
export function settingsOf<T extends object>(descriptor: ConnectorDescriptor): T {
  return (descriptor.settings ?? {}) as T;
}
