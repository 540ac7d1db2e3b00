import type { ColorScheme } from '../io/color-level.js';
import type { Severity } from './event-severity.js';

/** The color function of a severity in a scheme: error red, warning yellow, success green, info plain, security the alert style. */
export function colorOfSeverity(colors: ColorScheme, severity: Severity): (text: string) => string {
  switch (severity) {
    case 'error':
      return colors.failure;
    case 'warning':
      return colors.warning;
    case 'success':
      return colors.success;
    case 'info':
      return colors.neutral;
    case 'security':
      return colors.security;
  }
}

/** The tag that leads a security event on a pretty line and in the table, so it stands out without color too. */
export const SECURITY_TAG = '[SECURITY]';
