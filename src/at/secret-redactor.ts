/**
 * Replaces registered secrets (device secret, HMAC password, Wi-Fi password...) by `***`
 * in traces and error messages.
 */
export class SecretRedactor {
  private secrets: string[] = [];

  add(secret: string): void {
    if (!secret || this.secrets.includes(secret)) return;
    this.secrets.push(secret);
    // Longest first, so a secret that contains another is replaced whole.
    this.secrets.sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.replaceAll(s, '***');
    return out;
  }
}
