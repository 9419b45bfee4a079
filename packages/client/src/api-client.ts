// The HTTP API client: typed calls, protocol/time headers, error bodies rebuilt as NimbusError, automatic token refresh.
import {
  BLOB_PACK_CONTENT_TYPE,
  BLOB_ROUTES,
  encodeBlobPack,
  blobPackResponse,
  type BlobPackEntry,
  type BlobPackResponse,
  HEADERS,
  NimbusError,
  PROTOCOL_VERSION,
  UPLOAD_OFFSET_HEADER,
  accountView,
  batchWriteResponse,
  blobCheckResponse,
  changesResponse,
  recordSchema,
  uploadChunkResponse,
  uploadView,
  devicesResponse,
  errorBodySchema,
  loginResponse,
  sessionTokens,
  signOutResponse,
  twoFactorSetupResponse,
  storageResponse,
  type StorageResponse,
  commitSnapshotResponse,
  deleteSnapshotResponse,
  policyResponse,
  snapshotListResponse,
  snapshotView,
  type CommitSnapshotRequest,
  type CommitSnapshotResponse,
  type DeleteSnapshotResponse,
  type PolicyResponse,
  type RetentionPolicy,
  type SnapshotListResponse,
  type SnapshotView,
  type AccountView,
  type BatchWriteResponse,
  type BlobCheckResponse,
  type ChangesResponse,
  type CreateAccountRequest,
  type CreateUploadRequest,
  type NimbusRecord,
  type RecordWrite,
  type UploadChunkResponse,
  type UploadView,
  type DeviceView,
  type LoginRequest,
  type LoginResponse,
  type SessionTokens,
  type SignOutResponse,
  type SignOutScope,
  type TwoFactorSetupResponse,
  accountServicesSchema,
  type AccountServices,
  type AccountServicesUpdate,
  type DeviceStatusReport,
} from '@nimbus/protocol';
import type { LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { sendBuffers, sendFileRange } from './file-range-put.js';
import { UnexpectedAnswerError } from './engine/classify.js';
import { fetchSend, type HttpAnswer, type HttpSend } from './net/http-send.js';
import { nodeHttpSend } from './net/node-http-send.js';

const reportStatusResponse = z.object({ reportedAt: z.number() });

export interface ApiClientOptions {
  /** The server's base URL, `http(s)://host[:port]`. */
  server: string;
  /**
   * JSON calls and downloads go through this fetch (tests' fakes) instead of node:http, with the fetch's own deadline.
   * By default they use node:http, like uploads: a command never loads fetch's undici (its start-up cost).
   */
  fetch?: typeof fetch | undefined;
  /** How long a node:http request waits for its answer to start, plus its body's time on a slow link (timedFetch's deadline). */
  timeoutMs?: number | undefined;
  /** Tokens of a signed-in device, if any. */
  session?: SessionTokens | undefined;
  /** Called whenever the tokens change (sign-in, refresh) so the caller can persist them. */
  onSession?: ((tokens: SessionTokens) => void | Promise<void>) | undefined;
  /** The device clock sent as `nimbus-client-time`; defaults to Date.now. */
  now?: () => number;
  /** Resolves the server's name for node:http requests (the user's DNS servers); an injected `fetch` resolves its own. */
  lookup?: LookupFunction | undefined;
}

/**
 * The request never got an API answer: no connection (`code` is the system error, e.g. ECONNREFUSED),
 * or something that is not a Nimbus server answered (`status` set, e.g. a captive portal's page).
 */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  /** The answer's Retry-After header (seconds or an HTTP date), when a busy server or its load balancer sent one. */
  readonly retryAfter: string | undefined;
  constructor(
    message: string,
    readonly url: string,
    readonly code: string | undefined,
    readonly status: number | undefined,
    options?: { cause?: unknown; retryAfter?: string | undefined },
  ) {
    super(message, options);
    this.retryAfter = options?.retryAfter;
  }
}

/** Throws a TypeError naming the problem when `server` is not an http(s) URL; returns it without a trailing slash. */
export function normalizeServerUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new TypeError(`"${server}" is not a server URL (try http://host:7070)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`"${server}" is not an http:// or https:// URL`);
  }
  return url.toString().replace(/\/+$/, '');
}

/** A blob download: the body from `start` (a Range resume) to the end, and the blob's full size. */
export interface BlobDownload {
  body: Readable;
  start: number;
  size: number;
}

/** Query of GET /v1/changes. */
export interface ChangesRequest {
  since?: string | undefined;
  zones?: readonly string[] | undefined;
  limit?: number | undefined;
  /** Long-poll seconds (0–60). */
  wait?: number | undefined;
}

interface RawOptions {
  method: 'GET';
  path: string;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
}

interface CallOptions<S extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  /** A binary body instead of JSON: its content type and its pieces, sent one after another. */
  binary?: { contentType: string; parts: readonly Uint8Array[] };
  schema: S;
  /** Send the access token (and refresh it once if it ran out). */
  auth: boolean | 'if-signed-in';
  signal?: AbortSignal | undefined;
}

export class ApiClient {
  readonly server: string;
  private readonly http: HttpSend;
  private readonly onSession: ApiClientOptions['onSession'];
  private readonly now: () => number;
  private readonly lookup: LookupFunction | undefined;
  private tokens: SessionTokens | undefined;
  private refreshing: Promise<SessionTokens> | undefined;
  /** How far the server's clock is ahead of this device's, as the server said when it refused our time. */
  private serverAheadMs = 0;

  constructor(options: ApiClientOptions) {
    this.server = normalizeServerUrl(options.server);
    this.onSession = options.onSession;
    this.now = options.now ?? Date.now;
    this.lookup = options.lookup;
    this.http = options.fetch ? fetchSend(options.fetch) : nodeHttpSend({ timeoutMs: options.timeoutMs, lookup: options.lookup });
    this.tokens = options.session;
  }

  /** The current tokens (they change on refresh). */
  get session(): SessionTokens | undefined {
    return this.tokens;
  }

  /** Creates an account. Signed in as an admin, this works on a server with closed registration too. */
  createAccount(input: CreateAccountRequest): Promise<AccountView> {
    return this.call({ method: 'POST', path: '/v1/accounts', body: input, schema: accountView, auth: 'if-signed-in' });
  }

  /** Signs this device in; the new tokens are kept and handed to onSession. */
  async login(input: LoginRequest): Promise<LoginResponse> {
    const answer = await this.call({ method: 'POST', path: '/v1/sessions', body: input, schema: loginResponse, auth: false });
    const { account: _account, ...tokens } = answer;
    await this.setSession(tokens);
    return answer;
  }

  /** Swaps the refresh token for new tokens (concurrent callers share one refresh). */
  refresh(): Promise<SessionTokens> {
    this.refreshing ??= (async () => {
      const current = this.requireSession();
      const tokens = await this.call({
        method: 'POST',
        path: '/v1/sessions/refresh',
        body: { refreshToken: current.refreshToken },
        schema: sessionTokens,
        auth: false,
      });
      await this.setSession(tokens);
      return tokens;
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  account(): Promise<AccountView> {
    return this.call({ method: 'GET', path: '/v1/account', schema: accountView, auth: true });
  }

  async devices(): Promise<DeviceView[]> {
    return (await this.call({ method: 'GET', path: '/v1/sessions', schema: devicesResponse, auth: true })).devices;
  }

  signOutDevice(sessionId: string): Promise<SignOutResponse> {
    const path = `/v1/sessions/${encodeURIComponent(sessionId)}`;
    return this.call({ method: 'DELETE', path, schema: signOutResponse, auth: true });
  }

  signOut(scope: SignOutScope): Promise<SignOutResponse> {
    return this.call({ method: 'POST', path: '/v1/sessions/sign-out', body: { scope }, schema: signOutResponse, auth: true });
  }

  /** Other devices are signed out (PASSWORD_CHANGED); this one stays signed in. */
  changePassword(currentPassword: string, newPassword: string): Promise<SignOutResponse> {
    const body = { currentPassword, newPassword };
    return this.call({ method: 'POST', path: '/v1/account/password', body, schema: signOutResponse, auth: true });
  }

  twoFactorSetup(): Promise<TwoFactorSetupResponse> {
    return this.call({ method: 'POST', path: '/v1/account/2fa/setup', schema: twoFactorSetupResponse, auth: true });
  }

  /** Other devices are signed out (TWO_FACTOR_ENABLED); this one stays signed in. */
  twoFactorEnable(code: string): Promise<SignOutResponse> {
    return this.call({ method: 'POST', path: '/v1/account/2fa/enable', body: { code }, schema: signOutResponse, auth: true });
  }

  twoFactorDisable(password: string, code: string): Promise<AccountView> {
    return this.call({ method: 'POST', path: '/v1/account/2fa/disable', body: { password, code }, schema: accountView, auth: true });
  }

  /** PUT /v1/devices/current/status: this device's sync status, for the account's other devices and the dashboard. */
  async reportStatus(report: DeviceStatusReport, signal?: AbortSignal): Promise<void> {
    await this.call({ method: 'PUT', path: '/v1/devices/current/status', body: report, schema: reportStatusResponse, auth: true, signal });
  }

  /** GET /v1/account/services: the account's own switch of every service (off = off on every device). */
  accountServices(signal?: AbortSignal): Promise<AccountServices> {
    return this.call({ method: 'GET', path: '/v1/account/services', schema: accountServicesSchema, auth: true, signal });
  }

  /** PUT /v1/account/services: changes the named services' switches for every device of the account. */
  setAccountServices(update: AccountServicesUpdate): Promise<AccountServices> {
    return this.call({ method: 'PUT', path: '/v1/account/services', body: update, schema: accountServicesSchema, auth: true });
  }

  /** GET /v1/storage: quota, use per service, the largest items. */
  storage(): Promise<StorageResponse> {
    return this.call({ method: 'GET', path: '/v1/storage', schema: storageResponse, auth: true });
  }

  /** POST /v1/backups: commits a snapshot whose blobs are uploaded; `missing` names those that are not. */
  commitSnapshot(input: CommitSnapshotRequest, signal?: AbortSignal): Promise<CommitSnapshotResponse> {
    return this.call({ method: 'POST', path: '/v1/backups', body: input, schema: commitSnapshotResponse, auth: true, signal });
  }

  /** GET /v1/backups: snapshots newest first, the retention policy, recent automatic removals. */
  listSnapshots(): Promise<SnapshotListResponse> {
    return this.call({ method: 'GET', path: '/v1/backups', schema: snapshotListResponse, auth: true });
  }

  getSnapshot(id: string): Promise<SnapshotView> {
    return this.call({ method: 'GET', path: `/v1/backups/${encodeURIComponent(id)}`, schema: snapshotView, auth: true });
  }

  deleteSnapshot(id: string): Promise<DeleteSnapshotResponse> {
    return this.call({ method: 'DELETE', path: `/v1/backups/${encodeURIComponent(id)}`, schema: deleteSnapshotResponse, auth: true });
  }

  /** PUT /v1/backups/policy: stored server-side and applied at once. */
  setBackupPolicy(policy: RetentionPolicy): Promise<PolicyResponse> {
    return this.call({ method: 'PUT', path: '/v1/backups/policy', body: policy, schema: policyResponse, auth: true });
  }

  /** POST /v1/records/batch: one answer per write (≤ LIMITS.batchMaxRecords writes). */
  writeRecords(writes: readonly RecordWrite[], signal?: AbortSignal): Promise<BatchWriteResponse> {
    return this.call({ method: 'POST', path: '/v1/records/batch', body: { writes }, schema: batchWriteResponse, auth: true, signal });
  }

  getRecord(zone: string, id: string): Promise<NimbusRecord> {
    const path = `/v1/records/${encodeURIComponent(zone)}/${encodeURIComponent(id)}`;
    return this.call({ method: 'GET', path, schema: recordSchema, auth: true });
  }

  /** GET /v1/changes. 410 CHANGE_TOKEN_EXPIRED comes back as a NimbusError of that kind. */
  changes(request: ChangesRequest = {}, signal?: AbortSignal): Promise<ChangesResponse> {
    const query = new URLSearchParams();
    if (request.since !== undefined) query.set('since', request.since);
    if (request.zones !== undefined && request.zones.length > 0) query.set('zones', request.zones.join(','));
    if (request.limit !== undefined) query.set('limit', String(request.limit));
    if (request.wait !== undefined && request.wait > 0) query.set('wait', String(request.wait));
    const text = query.toString();
    return this.call({ method: 'GET', path: `/v1/changes${text ? `?${text}` : ''}`, schema: changesResponse, auth: true, signal });
  }

  checkBlobs(hashes: readonly string[], signal?: AbortSignal): Promise<BlobCheckResponse> {
    return this.call({ method: 'POST', path: '/v1/blobs/check', body: { hashes }, schema: blobCheckResponse, auth: true, signal });
  }

  /** Starts an upload, or finds the account's unfinished one for the same blob (resume from its offset). */
  createUpload(input: CreateUploadRequest, signal?: AbortSignal): Promise<UploadView> {
    return this.call({ method: 'POST', path: '/v1/uploads', body: input, schema: uploadView, auth: true, signal });
  }

  getUpload(uploadId: string, signal?: AbortSignal): Promise<UploadView> {
    return this.call({ method: 'GET', path: `/v1/uploads/${encodeURIComponent(uploadId)}`, schema: uploadView, auth: true, signal });
  }

  /**
   * Streams bytes [start, end) of `file` as the upload's bytes from `start` (which must be the server's offset),
   * with node:http and the file's ReadStream (fetch's web streams cost copies and did not hold back a fast reader).
   * `onBytes` hears of bytes as they go, so a long PUT shows progress.
   */
  async putUploadChunk(
    uploadId: string,
    file: string,
    start: number,
    end: number,
    signal?: AbortSignal,
    onBytes?: (bytes: number) => void,
  ): Promise<UploadChunkResponse> {
    const url = `${this.server}/v1/uploads/${encodeURIComponent(uploadId)}`;
    const headers = { 'content-type': 'application/octet-stream', [UPLOAD_OFFSET_HEADER]: String(start) };
    return this.callOverHttp(url, uploadChunkResponse, signal, headers, (all) =>
      sendFileRange({ url, method: 'PUT', headers: all, file, start, end, signal, onBytes, lookup: this.lookup }),
    );
  }

  /** POST /v1/blobs/pack: many small blobs in one request, all stored or none (507 QUOTA_EXCEEDED when they do not fit). */
  uploadBlobPack(entries: readonly BlobPackEntry[], bodies: readonly Uint8Array[], signal?: AbortSignal): Promise<BlobPackResponse> {
    const binary = { contentType: BLOB_PACK_CONTENT_TYPE, parts: encodeBlobPack(entries, bodies) };
    return this.call({ method: 'POST', path: BLOB_ROUTES.pack, binary, schema: blobPackResponse, auth: true, signal });
  }

  /**
   * POST /v1/blobs/pack like uploadBlobPack, but over node:http with the pieces written as they are: backups send
   * 8 MiB packs back to back, and fetch copies a body twice (concatenated, then cloned into its stream).
   */
  async sendBlobPack(entries: readonly BlobPackEntry[], bodies: readonly Uint8Array[], signal?: AbortSignal): Promise<BlobPackResponse> {
    const url = `${this.server}${BLOB_ROUTES.pack}`;
    const parts = encodeBlobPack(entries, bodies);
    const headers = { 'content-type': BLOB_PACK_CONTENT_TYPE, accept: 'application/json' };
    return this.callOverHttp(url, blobPackResponse, signal, headers, (all) => sendBuffers({ url, method: 'POST', headers: all, parts, signal, lookup: this.lookup }));
  }

  /**
   * A signed-in request whose body node:http sends (`send` gets every header): answered like call() — error bodies as
   * NimbusError, an unreachable server as TransportError, the answer checked by `schema`, the access token refreshed once.
   */
  private callOverHttp<S extends z.ZodType>(
    url: string,
    schema: S,
    signal: AbortSignal | undefined,
    headers: Record<string, string>,
    send: (headers: Record<string, string>) => Promise<{ status: number; text: string }>,
  ): Promise<z.output<S>> {
    this.requireSession();
    return this.withRefresh(async () => {
      let response;
      try {
        response = await send({ ...this.baseHeaders(), ...headers });
      } catch (error) {
        if (signal?.aborted) throw error;
        throw this.unreachable(url, error);
      }
      const json = parseJsonText(response.text);
      if (response.status < 200 || response.status > 299) throw this.failure(url, response.status, json);
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw new TransportError(`${this.server} answered something that is not a Nimbus API answer`, url, undefined, response.status);
      return parsed.data;
    });
  }

  /** Runs `attempt` with the access token; when only that token ran out, refreshes once and runs it again. */
  private async withRefresh<T>(attempt: () => Promise<T>): Promise<T> {
    const sentWith = this.tokens?.accessToken;
    try {
      return await attempt();
    } catch (error) {
      if (!isAccessTokenExpiry(error)) throw error;
      // A concurrent call may have refreshed already; then the new token is simply tried.
      if (this.tokens?.accessToken === sentWith) await this.refresh();
      return attempt();
    }
  }

  completeUpload(uploadId: string, signal?: AbortSignal): Promise<UploadView> {
    const path = `/v1/uploads/${encodeURIComponent(uploadId)}/complete`;
    return this.call({ method: 'POST', path, schema: uploadView, auth: true, signal });
  }

  /** GET /v1/blobs/:sha256 from byte `start` (Range); the caller reads (or destroys) `body`. */
  async downloadBlob(sha256: string, start = 0, signal?: AbortSignal): Promise<BlobDownload> {
    const headers: Record<string, string> = start > 0 ? { range: `bytes=${start}-` } : {};
    const response = await this.raw({ method: 'GET', path: `/v1/blobs/${encodeURIComponent(sha256)}`, headers, signal });
    const url = response.url;
    const body = response.stream();
    let from = 0;
    let size = Number(response.header('content-length') ?? NaN);
    if (response.status === 206) {
      const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.header('content-range') ?? '');
      if (!match) {
        body?.destroy();
        throw new TransportError(`${this.server} answered a range without Content-Range`, url, undefined, 206);
      }
      from = Number(match[1]);
      size = Number(match[3]);
    }
    if (!body || !Number.isFinite(size)) {
      body?.destroy();
      throw new TransportError(`${this.server} answered a blob without a body`, url, undefined, response.status);
    }
    return { body, start: from, size };
  }

  /** A non-JSON request (a blob download) with the same headers, errors and token refresh as call(). */
  private raw(options: RawOptions): Promise<HttpAnswer> {
    this.requireSession();
    return this.withRefresh(() => this.sendRaw(options));
  }

  private async sendRaw(options: RawOptions): Promise<HttpAnswer> {
    const url = `${this.server}${options.path}`;
    const headers = { ...this.baseHeaders(), ...options.headers };
    let response: HttpAnswer;
    try {
      response = await this.http({ url, method: options.method, headers, signal: options.signal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw this.unreachable(url, error);
    }
    if (isOk(response.status)) return response;
    throw this.failure(url, response.status, parseJsonText(await response.text()), response.header);
  }

  /** Protocol version, device clock and (when signed in) the access token: what every non-JSON request carries. */
  private baseHeaders(): Record<string, string> {
    const headers: Record<string, string> = { [HEADERS.protocol]: String(PROTOCOL_VERSION), [HEADERS.clientTime]: this.clientTime() };
    if (this.tokens) headers['authorization'] = `Bearer ${this.tokens.accessToken}`;
    return headers;
  }

  /** The request never reached the API: a TransportError naming the system error. */
  private unreachable(url: string, error: unknown): TransportError {
    const code = systemCode(error);
    const detail = code ?? innermostMessage(error);
    return new TransportError(`cannot reach ${this.server}${detail ? ` (${detail})` : ''}`, url, code, undefined, { cause: error });
  }

  /**
   * A non-2xx answer: our error body becomes a NimbusError; a redirect (our API never redirects: a captive portal
   * does) an UnexpectedAnswerError with where it points; anything else (a portal, a proxy) a TransportError.
   */
  private failure(url: string, status: number, json: unknown, header?: (name: string) => string | undefined): Error {
    const body = errorBodySchema.safeParse(json);
    if (body.success) {
      const { kind, message, ...details } = body.data.error;
      return new NimbusError(kind, message, details);
    }
    const location = header?.('location');
    if (status >= 300 && status < 400) {
      const to = location === undefined ? undefined : new URL(location, url).toString();
      const contentType = header?.('content-type');
      return new UnexpectedAnswerError(`${this.server} redirected${to ? ` to ${to}` : ''}: not a Nimbus API answer`, {
        status,
        ...(contentType === undefined ? {} : { contentType }),
        ...(to === undefined ? {} : { location: to }),
      });
    }
    const retryAfter = header?.('retry-after');
    return new TransportError(`${this.server} answered HTTP ${status}, not a Nimbus API answer`, url, undefined, status, { retryAfter });
  }

  private requireSession(): SessionTokens {
    if (!this.tokens) throw new NimbusError('UNAUTHENTICATED', 'not signed in: run nimbus login first');
    return this.tokens;
  }

  private async setSession(tokens: SessionTokens): Promise<void> {
    this.tokens = tokens;
    await this.onSession?.(tokens);
  }

  private async call<S extends z.ZodType>(options: CallOptions<S>): Promise<z.output<S>> {
    const withToken = options.auth === true || (options.auth === 'if-signed-in' && this.tokens !== undefined);
    if (options.auth === true) this.requireSession();
    // Only the short-lived access token running out is retried (after a refresh), no person needed.
    return withToken ? this.withRefresh(() => this.sendOnServerTime(options, true)) : this.sendOnServerTime(options, false);
  }

  /**
   * The time this device sends: its clock corrected by what the server told us. A clock days off breaks what it must
   * (TLS certificates, which the classifier names CLOCK_SKEW); over plain HTTP nothing needs the device's own clock,
   * so sign-in and refresh go on by the server's time instead of pausing sync.
   */
  private clientTime(): string {
    return String(this.now() + this.serverAheadMs);
  }

  /** `send`, once more on the server's time when the server refused ours (CLOCK_SKEW names the offset). */
  private async sendOnServerTime<S extends z.ZodType>(options: CallOptions<S>, withToken: boolean): Promise<z.output<S>> {
    try {
      return await this.send(options, withToken);
    } catch (error) {
      const offsetMs = error instanceof NimbusError && error.kind === 'CLOCK_SKEW' ? error.details['offsetMs'] : undefined;
      if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs)) throw error;
      this.serverAheadMs -= offsetMs;
      return this.send(options, withToken);
    }
  }

  private async send<S extends z.ZodType>(options: CallOptions<S>, withToken: boolean): Promise<z.output<S>> {
    const url = `${this.server}${options.path}`;
    const headers: Record<string, string> = {
      [HEADERS.protocol]: String(PROTOCOL_VERSION),
      [HEADERS.clientTime]: this.clientTime(),
      accept: 'application/json',
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.binary) headers['content-type'] = options.binary.contentType;
    if (withToken && this.tokens) headers['authorization'] = `Bearer ${this.tokens.accessToken}`;
    const body = options.binary ? Buffer.concat(options.binary.parts) : options.body !== undefined ? JSON.stringify(options.body) : undefined;
    let response: HttpAnswer;
    try {
      response = await this.http({ url, method: options.method, headers, body, signal: options.signal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw this.unreachable(url, error);
    }
    const json = parseJsonText(await response.text());
    if (!isOk(response.status)) {
      throw this.failure(url, response.status, json, response.header);
    }
    const parsed = options.schema.safeParse(json);
    if (!parsed.success) {
      throw new TransportError(`${this.server} answered something that is not a Nimbus API answer`, url, undefined, response.status);
    }
    return parsed.data;
  }
}

/** The system error code under fetch's TypeError (undici puts it on `cause`, sometimes one level deeper). */
function systemCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function innermostMessage(error: unknown): string | undefined {
  let current: unknown = error;
  let message: string | undefined;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    message = current.message;
    current = current.cause;
  }
  return message;
}

/** Only the short-lived access token ran out: a refresh and one more try fix it, no person needed. */
function isAccessTokenExpiry(error: unknown): boolean {
  return error instanceof NimbusError && error.kind === 'AUTH_EXPIRED' && error.details.reason === 'ACCESS_TOKEN_EXPIRED';
}

/** A 2xx status (fetch's `ok`). */
function isOk(status: number): boolean {
  return status >= 200 && status <= 299;
}

/** JSON text to a value; undefined for an empty or non-JSON body. */
function parseJsonText(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
