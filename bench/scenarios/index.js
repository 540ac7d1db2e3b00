// The scenarios of issue 5, in order. Each exports { id, name, run(context) -> {rows, details} }.
import endToEnd from './1-end-to-end.js';
import fanOut from './2-fan-out.js';
import latency from './3-latency.js';
import slowConsumers from './4-slow-consumers.js';
import idle from './5-idle.js';
import rendering from './6-rendering.js';
import startup from './7-startup.js';
import manyClients from './8-many-clients.js';
import storeBackfill from './9-store-backfill.js';

export const scenarios = [endToEnd, fanOut, latency, slowConsumers, idle, rendering, startup, manyClients, storeBackfill];
