import { fileURLToPath } from 'node:url';
import { FilesystemStore } from './fs.js';
import type { ObjectStore } from './object-store.js';

/** The object store a LIFEBOAT_STORAGE_URL names (`file:///absolute/dir`). */
export function openObjectStore(url: string): ObjectStore {
  const parsed = new URL(url);
  switch (parsed.protocol) {
    case 'file:':
      return new FilesystemStore(fileURLToPath(parsed));
    default:
      throw new Error(`unsupported storage URL scheme ${parsed.protocol} (use file:///absolute/dir)`);
  }
}
