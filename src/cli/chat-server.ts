#!/usr/bin/env node
// chat-server: the SIGHUP handler first (early-hup.ts), then the command line and the server,
// whose modules take a while to load.
import './early-hup.js';

await import('./server-cli.js');
