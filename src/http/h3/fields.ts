/**
 * HTTP/3 field sections as messages (RFC 9114 §4.2, §4.3): the checks that make a request,
 * response or trailer section well-formed. A failed check means the message is malformed
 * (RFC 9114 §4.1.2), which the caller turns into a stream error of type H3_MESSAGE_ERROR.
 */

/** One field line as QPACK carries it: a name and a value. */
export type FieldLine = [name: string, value: string];

/** A well-formed request header section. */
export interface RequestHead {
  method: string;
  /** Absent for CONNECT (RFC 9114 §4.4). */
  scheme?: string;
  /** :authority, or the Host field when there is no :authority. */
  authority?: string;
  /** Absent for CONNECT. */
  path?: string;
  /** The regular fields, in order. */
  fields: FieldLine[];
  /** The Content-Length value, when present. */
  contentLength?: number;
}

/** A well-formed response header section. */
export interface ResponseHead {
  status: number;
  fields: FieldLine[];
  contentLength?: number;
}

/** RFC 9110 §5.6.2 tchar, lower-case only (RFC 9114 §4.2: upper case makes a message malformed). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** RFC 9110 §5.5: CR, LF and NUL are never allowed in a field value. */
const BAD_VALUE = /[\0\r\n]/;

/** RFC 9114 §4.2: connection-specific fields make a message malformed. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

const REQUEST_PSEUDO = new Set([':method', ':scheme', ':authority', ':path']);

/** The checks common to every section: names, values, connection-specific fields. */
function checkRegular(name: string, value: string, isRequest: boolean): string | undefined {
  if (!TOKEN.test(name)) return /[A-Z]/.test(name) ? `upper-case field name "${name}"` : `invalid field name ${JSON.stringify(name)}`;
  if (BAD_VALUE.test(value)) return `invalid character in the value of "${name}"`;
  if (CONNECTION_SPECIFIC.has(name)) return `connection-specific field "${name}"`;
  // RFC 9114 §4.2: TE may appear in a request, with no value other than "trailers".
  if (name === 'te' && (!isRequest || value.trim().toLowerCase() !== 'trailers')) return `te: ${JSON.stringify(value)}`;
  return undefined;
}

/**
 * RFC 9110 §8.6: Content-Length is a non-negative decimal; several lines (or a list) must all
 * carry the same value.
 */
function contentLengthOf(fields: readonly FieldLine[]): number | undefined | string {
  let cl: number | undefined;
  for (const [n, v] of fields) {
    if (n !== 'content-length') continue;
    for (const part of v.split(',')) {
      const t = part.trim();
      if (!/^\d{1,15}$/.test(t)) return `invalid content-length ${JSON.stringify(v)}`;
      const x = Number(t);
      if (cl !== undefined && cl !== x) return 'conflicting content-length values';
      cl = x;
    }
  }
  return cl;
}

/** Validates a request header section (RFC 9114 §4.3.1); a string is the reason it is malformed. */
export function parseRequestHead(section: readonly FieldLine[]): RequestHead | string {
  const pseudo = new Map<string, string>();
  const fields: FieldLine[] = [];
  let regularSeen = false;
  for (const [name, value] of section) {
    if (name.startsWith(':')) {
      if (regularSeen) return `pseudo-header "${name}" after a regular field`;
      if (!REQUEST_PSEUDO.has(name)) return `unknown or response pseudo-header "${name}"`;
      if (pseudo.has(name)) return `duplicate pseudo-header "${name}"`;
      if (BAD_VALUE.test(value)) return `invalid character in "${name}"`;
      pseudo.set(name, value);
      continue;
    }
    regularSeen = true;
    const bad = checkRegular(name, value, true);
    if (bad !== undefined) return bad;
    fields.push([name, value]);
  }
  const method = pseudo.get(':method');
  if (method === undefined) return 'missing :method';
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method)) return 'invalid :method';
  const host = fields.filter(([n]) => n === 'host').map(([, v]) => v);
  if (host.length > 1) return 'more than one host field';
  const authority = pseudo.get(':authority') ?? host[0];
  if (pseudo.has(':authority') && host.length === 1 && host[0] !== pseudo.get(':authority')) return ':authority and host differ';
  if (authority !== undefined && (authority === '' || authority.includes('@'))) return 'empty :authority or one with userinfo';
  const cl = contentLengthOf(fields);
  if (typeof cl === 'string') return cl;
  if (method === 'CONNECT') {
    // RFC 9114 §4.4: :scheme and :path omitted, :authority present.
    if (pseudo.has(':scheme') || pseudo.has(':path')) return 'CONNECT with :scheme or :path';
    if (!pseudo.has(':authority')) return 'CONNECT without :authority';
    return { method, authority: pseudo.get(':authority')!, fields, ...(cl !== undefined ? { contentLength: cl } : {}) };
  }
  const scheme = pseudo.get(':scheme');
  const path = pseudo.get(':path');
  if (scheme === undefined) return 'missing :scheme';
  if (path === undefined) return 'missing :path';
  if (!/^[A-Za-z][A-Za-z0-9+\-.]*$/.test(scheme)) return 'invalid :scheme';
  const s = scheme.toLowerCase();
  if (s === 'http' || s === 'https') {
    // RFC 9114 §4.3.1: never empty; "*" only for OPTIONS; otherwise an absolute path.
    if (path === '') return 'empty :path';
    if (path === '*' ? method !== 'OPTIONS' : !path.startsWith('/')) return `invalid :path ${JSON.stringify(path.slice(0, 100))}`;
    if (authority === undefined) return 'neither :authority nor host';
  } else if (path === '') return 'empty :path';
  if (/[\x00-\x20\x7f]/.test(path)) return 'whitespace or control character in :path';
  return {
    method,
    scheme,
    ...(authority !== undefined ? { authority } : {}),
    path,
    fields,
    ...(cl !== undefined ? { contentLength: cl } : {}),
  };
}

/** Validates a response header section (RFC 9114 §4.3.2); a string is the reason it is malformed. */
export function parseResponseHead(section: readonly FieldLine[]): ResponseHead | string {
  let status: string | undefined;
  const fields: FieldLine[] = [];
  let regularSeen = false;
  for (const [name, value] of section) {
    if (name.startsWith(':')) {
      if (regularSeen) return `pseudo-header "${name}" after a regular field`;
      if (name !== ':status') return `unknown or request pseudo-header "${name}"`;
      if (status !== undefined) return 'duplicate :status';
      status = value;
      continue;
    }
    regularSeen = true;
    const bad = checkRegular(name, value, false);
    if (bad !== undefined) return bad;
    fields.push([name, value]);
  }
  if (status === undefined) return 'missing :status';
  if (!/^[1-5]\d\d$/.test(status)) return `invalid :status ${JSON.stringify(status.slice(0, 20))}`;
  // RFC 9114 §4.5: 101 (Switching Protocols) is not supported.
  if (status === '101') return ':status 101';
  const cl = contentLengthOf(fields);
  if (typeof cl === 'string') return cl;
  return { status: Number(status), fields, ...(cl !== undefined ? { contentLength: cl } : {}) };
}

/** Validates a trailer section (RFC 9114 §4.3: no pseudo-headers); a string is the reason it is malformed. */
export function parseTrailers(section: readonly FieldLine[], isRequest: boolean): FieldLine[] | string {
  for (const [name, value] of section) {
    if (name.startsWith(':')) return `pseudo-header "${name}" in trailers`;
    const bad = checkRegular(name, value, isRequest);
    if (bad !== undefined) return bad;
  }
  return [...section];
}

/** RFC 9114 §4.2.2: a field section's size, the one SETTINGS_MAX_FIELD_SECTION_SIZE bounds. */
export function fieldSectionSize(section: readonly FieldLine[]): number {
  let n = 0;
  for (const [name, value] of section) n += Buffer.byteLength(name) + Buffer.byteLength(value) + 32;
  return n;
}

/**
 * Fields as a record of lower-case names; repeated fields are joined with ", " (RFC 9110 §5.3),
 * cookies with "; " (RFC 9114 §4.2.1).
 */
export function fieldsToRecord(fields: readonly FieldLine[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [n, v] of fields) {
    const prev = Object.hasOwn(out, n) ? out[n] : undefined;
    // defineProperty: a field named "__proto__" is just a field.
    Object.defineProperty(out, n, { value: prev === undefined ? v : `${prev}${n === 'cookie' ? '; ' : ', '}${v}`, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
