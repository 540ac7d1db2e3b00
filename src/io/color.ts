import { Chalk } from 'chalk';
import { plainColorScheme, type ColorLevel, type ColorScheme } from './color-level.js';

/** A scheme for a stream at this level: chalk's roles, or plainColorScheme at level 0. */
export function createColorScheme(level: ColorLevel): ColorScheme {
  if (level === 0) return plainColorScheme();
  const chalk = new Chalk({ level });
  const sources = [chalk.cyan, chalk.magenta, chalk.blue, chalk.green, chalk.yellow, chalk.redBright, chalk.cyanBright, chalk.magentaBright];
  return {
    enabled: true,
    inverse: (t) => chalk.inverse(t),
    failure: (t) => chalk.red(t),
    warning: (t) => chalk.yellow(t),
    success: (t) => chalk.green(t),
    info: (t) => chalk.cyan(t),
    neutral: (t) => t,
    dim: (t) => chalk.dim(t),
    bold: (t) => chalk.bold(t),
    key: (t) => chalk.gray(t),
    alert: (t) => chalk.bgRed.whiteBright.bold(t),
    security: (t) => chalk.bgMagenta.whiteBright.bold(t),
    source: (i, t) => sources[((i % sources.length) + sources.length) % sources.length]!(t),
  };
}
