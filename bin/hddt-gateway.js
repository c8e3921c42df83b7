#!/usr/bin/env node
// Entry point: TypeScript sources run through tsx's loader, so there is no build step on the hub.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
