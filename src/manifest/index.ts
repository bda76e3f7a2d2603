// The manifest pipeline: YAML/JSON text → documents → kind lookup → validation → defaults.
//
// All or nothing: when any document is invalid, `decodeManifests` throws one error that lists
// every problem of every document and returns no objects, so an apply of several documents where
// one is invalid applies none (kubectl would apply the valid ones; Starling refuses the file).
//
// Errors:
// - StarlingError 'TooLarge' — over 3 MiB, or more than 1000 documents (or List items);
// - ParseError — YAML that does not parse (document, line and column in the message and details);
// - StarlingError 'UnknownKind' — when every failing document fails only because of its kind or
//   apiVersion (details.fieldErrors lists them);
// - ValidationError — otherwise; `fieldErrors` holds every FieldError (field path and Kubernetes'
//   cause text, with the 0-based `document`), and the message has one line per error:
//   `document 2: Deployment "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`
//   (the `document N: ` part only when the input has several documents).
//
// Warnings name fields Starling ignores: `Deployment "web": spec.template.spec.securityContext:
// not supported by Starling; ignored`. Server-set metadata (uid, creationTimestamp, ...) and
// `status` are removed from the returned objects without a warning, so that `get -o yaml` output
// applies cleanly; `metadata.resourceVersion` is kept for the API to use.

import type { FieldError } from '../errors.ts';
import { StarlingError, ValidationError } from '../errors.ts';
import type { KObject } from '../objects/types.ts';
import { applyDefaults } from './defaults.ts';
import { fieldErrorText } from './messages.ts';
import { parseJsonDocuments } from './documents.ts';
import { checkDocument } from './validate.ts';
import { MAX_DOCUMENTS, parseDocuments } from './yaml.ts';

/** Most objects (counting the items of `kind: List` documents) one manifest may hold. */
export const MAX_OBJECTS = MAX_DOCUMENTS;

export interface DecodeResult {
  objects: KObject[];
  warnings: string[];
}

interface Entry {
  value: unknown;
  /** 0-based document index */
  document: number;
  /** 0-based index inside a `kind: List` document */
  item?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const SERVER_SET_METADATA = [
  'uid',
  'selfLink',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
];

/** `Deployment "web"` — how messages name an object (the name Go-quoted, possibly empty). */
function describe(obj: unknown): string {
  const o = isObject(obj) ? obj : {};
  const kind = typeof o.kind === 'string' && o.kind ? o.kind.trim() : 'Object';
  const meta = isObject(o.metadata) ? o.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  return `${kind} ${JSON.stringify(name)}`;
}

function where(e: Entry, multi: boolean): string {
  if (!multi) return '';
  return e.item === undefined
    ? `document ${e.document + 1}: `
    : `document ${e.document + 1}, item ${e.item + 1}: `;
}

export interface DecodeOptions {
  /** kubectl's `--namespace`: the namespace of objects that name none; a different one is an error */
  namespace?: string;
}

function decodeEntries(entries: Entry[], multi: boolean, opts: DecodeOptions = {}): DecodeResult {
  if (entries.length > MAX_OBJECTS) {
    throw new StarlingError(
      'TooLarge',
      `manifest has ${entries.length} objects: limit is ${MAX_OBJECTS} per manifest`,
      { limit: MAX_OBJECTS },
    );
  }
  const objects: KObject[] = [];
  const warnings: string[] = [];
  const fieldErrors: FieldError[] = [];
  const lines: string[] = [];
  let allKindErrors = true;
  const seen = new Map<string, number>();

  for (const entry of entries) {
    const check = checkDocument(entry.value, entry.document);
    const at = where(entry, multi);
    if (check.errors.length > 0 || !check.info) {
      fieldErrors.push(...check.errors);
      if (check.kindError) {
        lines.push(`${at}${check.kindError.message}`);
      } else {
        allKindErrors = false;
        const who = isObject(entry.value) ? describe(entry.value) : 'document';
        for (const e of check.errors) lines.push(`${at}${who} is invalid: ${fieldErrorText(e)}`);
      }
      continue;
    }
    const who = describe(entry.value);
    for (const w of check.warnings) warnings.push(`${who}: ${w}`);
    const copy = structuredClone(entry.value) as KObject;
    if (opts.namespace !== undefined && check.info.namespaced) {
      const own = copy.metadata.namespace;
      if (own !== undefined && own !== opts.namespace) {
        allKindErrors = false;
        fieldErrors.push({ field: 'metadata.namespace', message: `Invalid value: ${JSON.stringify(own)}: does not match the namespace ${JSON.stringify(opts.namespace)}`, document: entry.document });
        lines.push(`${at}the namespace from the provided object ${JSON.stringify(own)} does not match the namespace ${JSON.stringify(opts.namespace)}. You must pass '--namespace=${own}' to perform this operation.`);
        continue;
      }
      copy.metadata.namespace = opts.namespace;
    }
    delete copy.status;
    for (const f of SERVER_SET_METADATA) {
      delete (copy.metadata as unknown as Record<string, unknown>)[f];
    }
    const obj = applyDefaults(copy);
    objects.push(obj);
    const key = `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const previous = seen.get(key);
    if (previous !== undefined) {
      warnings.push(
        `${who}${
          obj.metadata.namespace ? ` in namespace ${JSON.stringify(obj.metadata.namespace)}` : ''
        } appears more than once in this manifest (documents ${previous + 1} and ${
          entry.document + 1
        }); the last one wins`,
      );
    }
    seen.set(key, entry.document);
  }

  if (lines.length > 0) {
    const message = lines.join('\n');
    if (allKindErrors) throw new StarlingError('UnknownKind', message, { fieldErrors });
    throw new ValidationError(fieldErrors, message);
  }
  return { objects, warnings };
}

/** Expands `kind: List` documents (as `kubectl get -o yaml` writes them) into their items. */
function toEntries(docs: unknown[]): Entry[] {
  const entries: Entry[] = [];
  docs.forEach((value, document) => {
    if (
      isObject(value) && value.kind === 'List' && value.apiVersion === 'v1' &&
      Array.isArray(value.items)
    ) {
      value.items.forEach((item: unknown, i: number) =>
        entries.push({ value: item, document, item: i })
      );
    } else {
      entries.push({ value, document });
    }
  });
  return entries;
}

/**
 * Parses, validates and defaults every document of a YAML or JSON manifest. Returns the objects
 * in document order with warnings; throws as described at the top of this file. Empty input gives
 * no objects (the caller decides whether that is an error, as kubectl's "no objects passed").
 */
export function decodeManifests(text: string, opts: DecodeOptions = {}): DecodeResult {
  const entries = toEntries(parseDocuments(text));
  return decodeEntries(entries, entries.length > 1, opts);
}

/**
 * Validates and defaults documents that arrived already parsed, as one JSON array (apply's
 * `json`: the CLI parses the YAML); the same objects, warnings and errors as decodeManifests.
 */
export function decodeJsonDocuments(json: unknown, opts: DecodeOptions = {}): DecodeResult {
  const entries = toEntries(parseJsonDocuments(json));
  return decodeEntries(entries, entries.length > 1, opts);
}

/** Validates and defaults one object that arrived already decoded (JSON over the API). */
export function decodeObject(obj: unknown): { object: KObject; warnings: string[] } {
  const { objects, warnings } = decodeEntries([{ value: obj, document: 0 }], false);
  return { object: objects[0], warnings };
}

export { applyDefaults, defaultPullPolicy } from './defaults.ts';
export {
  kindFor,
  type KindInfo,
  kindInfo,
  KINDS,
  requireAppliable,
  requireServed,
  resolveKindName,
  servedKindsText,
} from './kinds.ts';
export {
  isEmptySelector,
  isLabelKey,
  isLabelValue,
  matchesSelector,
  parseSelectorString,
  selectorMatcher,
  selectorToString,
  validateLabels,
  validateLabelSelector,
} from './labels.ts';
export { fieldErrorText } from './messages.ts';
export {
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isValidPortName,
  isValidPortNum,
  nameErrors,
} from './names.ts';
export {
  canonicalQuantity,
  formatBytes,
  formatCpu,
  isQuantity,
  parseQuantity,
  type Quantity,
  quantityErrors,
  toBytes,
  toMilli,
} from './quantity.ts';
export { validateObject, type ValidationResult } from './validate.ts';
export { MAX_DOCUMENTS, MAX_MANIFEST_BYTES, parseDocuments } from './yaml.ts';
export { documentsJson } from './documents.ts';
