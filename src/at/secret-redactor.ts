/**
 * Replaces registered secrets (device secret, HMAC password, Wi-Fi password...) by `***`
 * in traces and error messages. A secret is also registered in its escaped form, because
 * that is how it appears inside a sent ESP-AT command line.
 */
export class SecretRedactor {
  private secrets: string[] = [];

  add(secret: string, escaped?: string): void {
    for (const s of [secret, escaped]) {
      if (s && !this.secrets.includes(s)) this.secrets.push(s);
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.secrets.sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.secrets.length;
  }

  redact(text: string): string {
    if (this.secrets.length === 0) return text;
    let out = text;
    for (const s of this.secrets) {
      if (out.includes(s)) out = out.split(s).join('***');
    }
    return out;
  }
}
