import { X509Certificate } from 'node:crypto';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Why `content` (a --ca file) is not a usable PEM CA bundle, or undefined
 * when it is. Node would silently ignore a file without PEM certificates and
 * then fail every handshake with "self-signed certificate", which points the
 * user the wrong way; so the file is checked before any socket opens.
 */
export function whyNotPemCertificates(content: Buffer): string | undefined {
  const text = content.toString('latin1');
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) {
    if (content.length === 0) return 'the file is empty';
    // DER: an ASN.1 SEQUENCE with a long-form length (0x30 0x82 ...).
    if (content[0] === 0x30 && content.length > 2 && (content[1]! & 0x80) !== 0) {
      return 'it looks like a DER (binary) certificate; convert it: openssl x509 -inform der -in FILE -out ca.pem';
    }
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return 'it holds a private key, not a certificate: pass the CA certificate (-----BEGIN CERTIFICATE-----)';
    return 'no -----BEGIN CERTIFICATE----- block found: pass a PEM certificate';
  }
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (error) {
      return `certificate ${index + 1} of ${blocks.length} cannot be parsed (${(error as Error).message})`;
    }
  }
  return undefined;
}
