import { formatDuration } from '../format/duration.js';
import type { ColorScheme } from '../io/color-level.js';
import { serverIdentityOf } from '../protocol/server-identity.js';
import type { HangarEvent } from '../protocol/types.js';
import { stripControl } from '../protocol/sanitize.js';

/** Counters for `--stats`; the totals are kept whether or not the summary is printed. */
export class TailStats {
  shown = 0;
  received = 0;
  /** Shown events that came from the event store (--store) rather than a socket. */
  fromStore = 0;
  /** Whether a store is read (the summary then says how many came from it). */
  storeInUse = false;
  duplicates = 0;
  reconnects = 0;
  /** Connections opened (0: never connected). */
  connections = 0;
  /** Why the last connection attempt failed, for "never connected" errors. */
  lastConnectError: string | undefined;
  gaps = 0;
  dropWarnings = 0;
  droppedByServer = 0;
  badFrames = 0;
  readonly byType = new Map<string, number>();
  readonly byServer = new Map<string, number>();

  /** `detailed`: also count shown events per type and per server (only --stats prints them). */
  constructor(
    private readonly startedMs: number,
    readonly detailed = true,
  ) {}

  /** Counts a shown event; its fields are read only for the detailed counts. */
  countShown(shown: { readonly event: HangarEvent }): void {
    this.shown++;
    if (!this.detailed) return;
    const event = shown.event;
    bump(this.byType, event.event_type);
    bump(this.byServer, serverIdentityOf(event) ?? '(no server)');
  }

  /** The summary printed on stderr at exit. */
  format(nowMs: number, colors: ColorScheme): string {
    const seconds = Math.max(0, (nowMs - this.startedMs) / 1000);
    const rate = seconds > 0 ? this.shown / seconds : 0;
    const lines = [
      colors.bold(
        `stats: ${this.shown} ${this.shown === 1 ? 'event' : 'events'} shown in ${formatDuration(seconds * 1000)} (${rate.toFixed(1)}/s); ${this.received} received${this.storeInUse ? `; ${this.fromStore} from the store` : ''}`,
      ),
    ];
    const table = (title: string, counts: Map<string, number>) => {
      if (counts.size === 0) return;
      lines.push(`  by ${title}:`);
      const rows = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      const width = Math.min(40, Math.max(...rows.map(([name]) => stripControl(name).length)));
      for (const [name, count] of rows) lines.push(`    ${stripControl(name).padEnd(width)}  ${count}`);
    };
    table('type', this.byType);
    table('server', this.byServer);
    lines.push(
      `  reconnects: ${this.reconnects}, gaps: ${this.gaps}, dropped by the server: ${this.droppedByServer} (${this.dropWarnings} ${this.dropWarnings === 1 ? 'warning' : 'warnings'}), bad frames: ${this.badFrames}, duplicates: ${this.duplicates}`,
    );
    return `${lines.map((l) => `hangar-events: ${l}`).join('\n')}\n`;
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
