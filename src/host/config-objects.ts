// Applying a ConfigMap or Secret over an existing one: their content is top-level (`data`,
// `binaryData`, `type`, `immutable`) rather than a spec, an immutable one keeps its data, and a
// Secret keeps its type — refused with Kubernetes' wording:
//   ConfigMap "app" is invalid: data: Forbidden: field is immutable when `immutable` is set

import { ValidationError } from '../errors.ts';
import { fieldErrorText } from '../manifest/messages.ts';
import { CONFIG_FIELDS, configContent, configUpdateErrors } from '../manifest/validate-config.ts';
import type { KObject } from '../objects/types.ts';

export { configContent };

/** Throws a ValidationError when `next` may not replace `existing`. */
export function refuseConfigUpdate(existing: KObject, next: KObject): void {
  const errors = configUpdateErrors(existing, next);
  if (errors.length === 0) return;
  const who = `${next.kind} "${next.metadata.name}"`;
  throw new ValidationError(errors, errors.map((e) => `${who} is invalid: ${fieldErrorText(e)}`).join('\n'));
}

/** Gives `target` the content of `source` (fields `source` lacks are removed), in place. */
export function replaceConfigContent(target: KObject, source: KObject): void {
  for (const f of CONFIG_FIELDS) {
    if (source[f] === undefined || source[f] === null) delete target[f];
    else target[f] = source[f];
  }
  if (target.spec === undefined) delete target.spec;
}
