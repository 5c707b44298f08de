/**
 * The few browser APIs the console page uses, typed by hand. The package
 * compiles against Node's types only (no `lib: ["dom"]`, which would leak
 * browser globals into every server-side file), so the page's script
 * receives the browser's `window` as a parameter of this type and stays
 * type-checked without them.
 */

interface ClientEvent {
  preventDefault(): void;
  readonly target: unknown;
}

export interface ClientElement {
  id: string;
  textContent: string | null;
  hidden: boolean;
  className: string;
  value: string;
  checked: boolean;
  disabled: boolean;
  srcdoc: string;
  href: string;
  download: string;
  readonly dataset: Record<string, string | undefined>;
  append(...nodes: (ClientElement | string)[]): void;
  replaceChildren(...nodes: (ClientElement | string)[]): void;
  setAttribute(name: string, value: string): void;
  addEventListener(type: string, listener: (event: ClientEvent) => void): void;
  querySelectorAll(selector: string): ArrayLike<ClientElement>;
  focus(): void;
  click(): void;
  prepend(...nodes: (ClientElement | string)[]): void;
  readonly children: ArrayLike<ClientElement>;
  lastElementChild: ClientElement | null;
  remove(): void;
}

interface ClientDocument {
  readonly body: ClientElement;
  getElementById(id: string): ClientElement | null;
  createElement(tag: string): ClientElement;
}

export interface ClientResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly body: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> } } | null;
  json(): Promise<unknown>;
  text(): Promise<string>;
}

interface ClientStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

interface ClientAbortController {
  readonly signal: unknown;
  abort(): void;
}

/** The slice of `window` the page's script uses. */
export interface ClientWindow {
  readonly document: ClientDocument;
  readonly sessionStorage: ClientStorage;
  fetch(url: string, init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: unknown; cache?: string }): Promise<ClientResponse>;
  setTimeout(callback: () => void, ms: number): number;
  clearTimeout(id: number | undefined): void;
  readonly TextDecoder: new () => { decode(input?: Uint8Array, options?: { stream: boolean }): string };
  readonly AbortController: new () => ClientAbortController;
  readonly URL: { createObjectURL(blob: unknown): string; revokeObjectURL(url: string): void };
  readonly Blob: new (parts: string[], options: { type: string }) => unknown;
}
