import { createRequire } from 'node:module';
import type * as WsModule from 'ws';

/**
 * The `ws` package, loaded with `require`: it is CommonJS, and an ESM
 * `import` of it makes Node analyse the exports of each of its files first
 * (cjs-module-lexer), which cost every `tail` and `serve` start about 60 ms
 * of CPU (measured: import 93 ms, require 29 ms over an empty module).
 */
const ws = createRequire(import.meta.url)('ws') as typeof WsModule;

export const { WebSocket, WebSocketServer } = ws;
export type WebSocket = WsModule.WebSocket;
export type WebSocketServer = WsModule.WebSocketServer;
export type RawData = WsModule.RawData;
