/**
 * URLs as they may be printed, one rule everywhere: no user:password and no
 * query string (either can carry a credential, and messages, logs and the
 * table header must not).
 */

/** The URL without user:password, for text that does not parse as a URL. */
export function redactUrl(text: string): string {
  return text.replace(/(\/\/)[^/@\s]*@/, '$1***@').replace(/\?\S*/, '');
}

/** A URL for display: credentials and query removed. */
export function displayUrl(url: string | URL): string {
  try {
    const copy = new URL(typeof url === 'string' ? url : url.href);
    copy.username = '';
    copy.password = '';
    copy.search = '';
    return copy.href;
  } catch {
    return redactUrl(String(url));
  }
}
