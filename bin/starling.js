#!/usr/bin/env node
// The `starling` CLI on Node: TypeScript is loaded in this same process (tsx's in-process
// loader, no child process), so signals sent to `starling node start` reach the node itself.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
