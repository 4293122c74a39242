import type * as vscode from 'vscode';

/** Disposes every item, the last registered first. */
export function disposeAll(disposables: vscode.Disposable[]): void {
  while (disposables.length) disposables.pop()?.dispose();
}

/**
 * The base of objects that own subscriptions (markdown-language-features' util/dispose.ts pattern):
 * `_register` what you create, and `dispose()` releases all of it once, the last registered first.
 */
export abstract class Disposable implements vscode.Disposable {
  private _isDisposed = false;
  protected readonly _disposables: vscode.Disposable[] = [];

  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    disposeAll(this._disposables);
  }

  protected get isDisposed(): boolean {
    return this._isDisposed;
  }

  protected _register<T extends vscode.Disposable>(value: T): T {
    if (this._isDisposed) value.dispose();
    else this._disposables.push(value);
    return value;
  }
}
