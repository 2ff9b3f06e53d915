/**
 * Airbyte protocol v0 messages, as printed one JSON object per line by `read` and friends.
 * https://docs.airbyte.com/understanding-airbyte/airbyte-protocol
 */
export type SyncMode = 'full_refresh' | 'incremental';
export type DestinationSyncMode = 'append' | 'overwrite' | 'append_dedup';

export interface AirbyteStream {
  name: string;
  json_schema: Record<string, unknown>;
  supported_sync_modes: SyncMode[];
  source_defined_cursor?: boolean;
  default_cursor_field?: string[];
  source_defined_primary_key?: string[][];
}

export interface ConfiguredAirbyteStream {
  stream: AirbyteStream;
  sync_mode: SyncMode;
  destination_sync_mode: DestinationSyncMode;
  cursor_field?: string[];
  primary_key?: string[][];
}

export interface ConfiguredCatalog {
  streams: ConfiguredAirbyteStream[];
}

export interface StreamDescriptor { name: string; namespace?: string }

export interface StreamState {
  type: 'STREAM';
  stream: { stream_descriptor: StreamDescriptor; stream_state: Record<string, unknown> };
  sourceStats?: { recordCount: number };
}

export type StreamStatus = 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE';

export type AirbyteMessage =
  | { type: 'SPEC'; spec: { connectionSpecification: Record<string, unknown>; documentationUrl?: string; supportsIncremental?: boolean } }
  | { type: 'CONNECTION_STATUS'; connectionStatus: { status: 'SUCCEEDED' | 'FAILED'; message?: string } }
  | { type: 'CATALOG'; catalog: { streams: AirbyteStream[] } }
  | { type: 'RECORD'; record: { stream: string; data: Record<string, unknown>; emitted_at: number; namespace?: string } }
  | { type: 'STATE'; state: StreamState }
  | { type: 'LOG'; log: { level: 'FATAL' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE'; message: string } }
  | {
      type: 'TRACE';
      trace:
        | { type: 'ERROR'; emitted_at: number; error: { message: string; internal_message?: string; failure_type: 'system_error' | 'config_error' | 'transient_error'; stack_trace?: string; stream_descriptor?: StreamDescriptor } }
        | { type: 'STREAM_STATUS'; emitted_at: number; stream_status: { stream_descriptor: StreamDescriptor; status: StreamStatus } };
    };
