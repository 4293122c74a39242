import * as vscode from 'vscode';
import type { Logger } from './core/types';

/**
 * The `GPT Image` LogOutputChannel. Every line passes through `redact`, so a key that slipped into a
 * server's error body or a URL can never reach the log.
 */
export class Log implements Logger, vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel('GPT Image', { log: true });
  private readonly secrets = new Set<string>();

  /** Registers a value (the API key) that must never be written. */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 4) this.secrets.add(value);
  }

  info(message: string): void {
    this.channel.info(this.redact(message));
  }

  warn(message: string): void {
    this.channel.warn(this.redact(message));
  }

  error(message: string): void {
    this.channel.error(this.redact(message));
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }

  private redact(message: string): string {
    let text = message;
    for (const secret of this.secrets) text = text.split(secret).join('***');
    return text.replace(/(Bearer\s+)[^\s"']+/gi, '$1***');
  }
}
