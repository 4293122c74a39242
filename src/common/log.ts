import * as vscode from 'vscode';
import { SecretRedactor } from '../core/api/redact';
import type { Logger } from '../core/types';
import { Disposable } from './dispose';

/**
 * The `GPT Image` LogOutputChannel. Every line passes through `SecretRedactor`, so a key (also percent- or base64-encoded) that slipped into a
 * server's error body or a URL can never reach the log.
 */
export class Log extends Disposable implements Logger {
  private readonly channel = this._register(vscode.window.createOutputChannel('GPT Image', { log: true }));
  private readonly secrets = new Map<string, SecretRedactor>();
  /** The last lines written, already redacted: integration tests read them (TestApi), nothing else does. */
  private readonly tail: string[] = [];

  /** Registers a value (the API key) that must never be written. */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 4 && !this.secrets.has(value)) this.secrets.set(value, new SecretRedactor(value));
  }

  info(message: string): void {
    this.channel.info(this.remember('info', message));
  }

  warn(message: string): void {
    this.channel.warn(this.remember('warning', message));
  }

  error(message: string): void {
    this.channel.error(this.remember('error', message));
  }

  /** The last (at most 500) lines as `[level] text`, redacted as written. */
  recentLines(): readonly string[] {
    return [...this.tail];
  }

  private remember(level: string, message: string): string {
    const text = this.redact(message);
    this.tail.push(`[${level}] ${text}`);
    if (this.tail.length > 500) this.tail.shift();
    return text;
  }

  show(): void {
    this.channel.show(true);
  }

  private redact(message: string): string {
    let text = message;
    // Raw, percent-encoded and base64 forms alike (a server may echo the key in any of them).
    for (const redactor of this.secrets.values()) text = redactor.redact(text);
    return text.replace(/(Bearer\s+)[^\s"']+/gi, '$1***');
  }
}
