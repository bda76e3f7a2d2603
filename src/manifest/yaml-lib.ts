// The yaml library, loaded on first use instead of with the modules: a node that is not applying
// a manifest never needs it, and loading it costs a process about 7 MB (its code, and the
// regular expressions it compiles as it loads). It is required from node_modules, also by the
// CLI's bundle (bin/starling.js), which therefore does not hold it.

import { createRequire } from 'node:module';

export type Yaml = typeof import('yaml');

let lib: Yaml | undefined;

export const yaml = (): Yaml => (lib ??= createRequire(import.meta.url)('yaml') as Yaml);
