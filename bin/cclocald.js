#!/usr/bin/env node
// Installed entry: the built daemon, plain Node (no tsx at every call). `npm run build` makes dist/.
import '../dist/daemon/main.js';
