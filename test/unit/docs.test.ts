import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The design lives in the repository: code comments cite docs/architecture.md and docs/adr/ by
 * file and heading anchor (`docs/architecture.md#post-lifecycle`), never a document outside it.
 * These tests keep every such citation, and every link between the documents, pointing at a file
 * and a heading that exist.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Build output, dependencies and local data; dot-folders (.git, .pulsecast) are skipped too. */
const SKIPPED_FOLDERS = new Set(['node_modules', 'cdk.out', 'coverage']);
/** Top-level folders whose paths the documents name (`shared/domain/lifecycle.ts`). */
const REPOSITORY_FOLDERS = [
  'shared',
  'functions',
  'infra',
  'local',
  'test',
  'bench',
  'bin',
  'examples',
  'docs',
];
/** Written as an escape so this file does not cite what it forbids. */
const DESIGN_CITATION = /DESIGN \u00a7/;

/** Repository files (relative, with `/`) whose name passes `keep`. */
function repositoryFiles(keep: (name: string) => boolean, folder = ''): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
    const path = folder ? `${folder}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !SKIPPED_FOLDERS.has(entry.name)) {
        found.push(...repositoryFiles(keep, path));
      }
    } else if (keep(entry.name)) {
      found.push(path);
    }
  }
  return found.sort();
}

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const isCode = (name: string) => /\.(ts|mjs)$/.test(name) || name === '.npmrc';
const isMarkdown = (name: string) => name.endsWith('.md');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown document's headings, outside fenced code, with GitHub's `-1` suffixes. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading?.[1]) continue;
    const base = slug(heading[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Why `target` (`docs/architecture.md#overview`, relative to `fromFolder`) does not resolve, if it does not. */
function brokenTarget(target: string, fromFolder: string): string | undefined {
  const [file = '', anchor] = target.split('#');
  const path = posix.normalize(posix.join(fromFolder, file));
  if (path.startsWith('..')) return `${target} points outside the repository`;
  if (!existsSync(join(ROOT, path))) return `${target}: no file ${path}`;
  if (anchor === undefined || !path.endsWith('.md')) return undefined;
  return anchorsOf(read(path)).has(anchor) ? undefined : `${target}: ${path} has no heading #${anchor}`;
}

/** The comment text of a TypeScript or JavaScript file, line by line (URLs removed). */
function commentLines(source: string): { line: number; text: string }[] {
  const lines: { line: number; text: string }[] = [];
  source.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    const text = /^(\/\/|\/\*|\*)/.test(trimmed)
      ? trimmed
      : raw.includes(' // ')
        ? raw.split(' // ')[1]
        : undefined;
    if (text) lines.push({ line: i + 1, text: text.replace(/https?:\/\/\S+/g, '') });
  });
  return lines;
}

describe('slug', () => {
  it('turns headings into the anchors GitHub gives them', () => {
    expect(slug('Post lifecycle')).toBe('post-lifecycle');
    expect(slug('The `byType` index')).toBe('the-bytype-index');
    expect(slug('ADR 0003: At-most-once publishing, with UNKNOWN')).toBe(
      'adr-0003-at-most-once-publishing-with-unknown',
    );
    expect(slug('See [the table](#data-model)')).toBe('see-the-table');
  });

  it('numbers repeated headings and ignores headings inside fenced code', () => {
    const anchors = anchorsOf('## Context\n\n```sh\n# not a heading\n```\n\n## Context\n');
    expect([...anchors]).toEqual(['context', 'context-1']);
  });
});

describe('references to the documentation', () => {
  it('finds a missing file and a missing heading', () => {
    // Built from parts, so that the scans below do not report these on purpose broken examples.
    const docs = (target: string) => `docs/${target}`;
    expect(brokenTarget(docs('architecture.md#post-lifecycle'), '')).toBeUndefined();
    expect(brokenTarget(docs('architecture.md#no-such-heading'), '')).toMatch(/has no heading/);
    expect(brokenTarget(docs('nowhere.md'), '')).toMatch(/no file/);
    expect(brokenTarget(docs('../../DESIGN.md'), '')).toMatch(/outside the repository/);
  });

  it('cite no design document outside the repository', () => {
    const citing = repositoryFiles((name) => isCode(name) || isMarkdown(name)).flatMap((path) =>
      read(path)
        .split('\n')
        .flatMap((text, i) => (DESIGN_CITATION.test(text) ? [`${path}:${i + 1}: ${text.trim()}`] : [])),
    );
    expect(citing).toEqual([]);
  });

  it('name, in code comments, only Markdown files that are in the repository', () => {
    const markdown = repositoryFiles(isMarkdown);
    const basenames = new Set(markdown.map((path) => posix.basename(path)));
    const missing = repositoryFiles(isCode).flatMap((path) =>
      commentLines(read(path)).flatMap(({ line, text }) =>
        [...text.matchAll(/[\w./-]*[\w-]\.md\b/g)]
          .map((match) => match[0])
          .filter(
            (name) =>
              !existsSync(join(ROOT, name)) &&
              !existsSync(join(ROOT, dirname(path), name)) &&
              !(name === posix.basename(name) && basenames.has(name)),
          )
          .map((name) => `${path}:${line}: ${name}`),
      ),
    );
    expect(missing).toEqual([]);
  });

  it('point, by path from the repository root, at documents and headings that exist', () => {
    const broken = repositoryFiles((name) => isCode(name) || isMarkdown(name)).flatMap((path) =>
      read(path)
        .split('\n')
        .flatMap((text, i) =>
          [...text.matchAll(/\bdocs\/[\w./-]+\.md(?:#[\w-]+)?/g)].flatMap((match) => {
            const problem = brokenTarget(match[0], '');
            return problem ? [`${path}:${i + 1}: ${problem}`] : [];
          }),
        ),
    );
    expect(broken).toEqual([]);
  });

  it('link, between documents, to files and headings that exist', () => {
    const broken = repositoryFiles(isMarkdown).flatMap((path) =>
      [...read(path).matchAll(/\]\(([^)\s]+)\)/g)].flatMap((match) => {
        const target = match[1] as string;
        if (/^[a-z]+:/i.test(target)) return [];
        const problem = target.startsWith('#')
          ? brokenTarget(`${posix.basename(path)}${target}`, posix.dirname(path))
          : brokenTarget(target, posix.dirname(path));
        return problem ? [`${path}: ${problem}`] : [];
      }),
    );
    expect(broken).toEqual([]);
  });
});

describe('docs/architecture.md', () => {
  it('names only repository paths that exist', () => {
    const text = read('docs/architecture.md');
    const paths = [...text.matchAll(/`([^`\s<>*]+)`/g)]
      .map((match) => (match[1] as string).split('#')[0] as string)
      .filter((path) => REPOSITORY_FOLDERS.some((folder) => path.startsWith(`${folder}/`)));
    expect(paths.length).toBeGreaterThan(50);
    expect(paths.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });
});

describe('docs/adr/README.md', () => {
  it('lists every decision record', () => {
    const index = read('docs/adr/README.md');
    const records = readdirSync(join(ROOT, 'docs/adr')).filter((name) => /^\d{4}-.+\.md$/.test(name));
    expect(records.length).toBeGreaterThanOrEqual(4);
    expect(records.filter((name) => !index.includes(`](${name})`))).toEqual([]);
  });
});
