import type { Page } from '../domain/index.ts';
import type { PageRequest } from './port.ts';

/** A paged list read to its end: the items of each page in turn, `limit` at a time. */
export async function* pagesOf<T>(
  limit: number,
  read: (page: PageRequest) => Promise<Page<T>>,
): AsyncGenerator<T[]> {
  let cursor: string | undefined;
  do {
    const page = await read({ limit, ...(cursor ? { cursor } : {}) });
    yield page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

/** Every item of a paged list, read `limit` at a time. */
export async function readAll<T>(limit: number, read: (page: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const all: T[] = [];
  for await (const items of pagesOf(limit, read)) all.push(...items);
  return all;
}
