#!/usr/bin/env node
// The `lux` command: TypeScript sources run through tsx's loader (no separate build step).
import { register } from 'tsx/esm/api';

register();
await import('../server/cli.ts');
