/**
 * Every reference in the sources and the docs leads somewhere a reader of the repository can go:
 * - a repository path named in a source's comments or in a markdown file (`run/search.ts`, `docs/search.md`,
 *   `bench/results/speed.md`, a markdown link, or a bare name such as `layer-codec.ts`) exists; strings are not
 *   read for paths (tests hold fixture paths), and a command's `--out FILE` is what it will write, not a citation;
 * - nothing, strings included, cites the team's background notes kept outside the repository, or an issue number
 *   of a tracker the reader cannot open: the facts belong in docs/design.md, docs/search.md or docs/file-format.md, or the paper.
 * The whole-repository test lists every offender, one line each, as `file:line  what`.
 */
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repo = fileURLToPath(new URL('..', import.meta.url));
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.autoshrink', 'tmp']);
const TOP_FOLDERS = ['agent', 'env', 'learners', 'run', 'cli', 'report', 'bench', 'test', 'docs', 'schema'];
const FILE_EXT = '(?:tsx?|md|json|svg|png|txt|html|sql)';

/** A path from the repository root: `run/store/store.ts`, `docs/search.md` (not inside a longer path or a URL). */
const ROOT_PATH = new RegExp(`(?<![\\w./@~-])((?:${TOP_FOLDERS.join('|')})/[\\w./-]*[\\w-]\\.${FILE_EXT})(?![\\w/*-])`, 'g');
/** A bare source or markdown file name: `layer-codec.ts`, `search-quality.md` (markdown only). */
const BARE_NAME = /(?<![\w./@~*-])([A-Za-z][\w-]*\.(?:tsx?|md))(?![\w/-])/g;
/** A markdown link target. */
const MD_LINK = /\]\(([^)\s#]+)(?:#[^)]*)?\)/g;
/** Notes outside the repository: the team's design and reference notes (written so this file does not match). */
const OUTSIDE_NOTES = new RegExp(`\\b(${['DES', 'IGN'].join('')}|${['REFER', 'ENCE'].join('')})\\.md\\b`, 'g');
const OUTSIDE_NOTES_NAMES = new Set([`${['DES', 'IGN'].join('')}.md`, `${['REFER', 'ENCE'].join('')}.md`]);
/** An issue number: "issue 12", "issue #12", "issues 12 and 14", "Issue 14's". */
const ISSUE_NUMBER = /\bissues?\s+#?\d+/gi;
/** Bare names that are not repository files: what a run writes, or a format's own name. */
const NOT_REPO_FILES = new Set(['model.json', 'report.html', 'strategy.json']);

interface Offence {
  file: string;
  line: number;
  what: string;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Every file a reference may point at, by repository path; and the base names of each top folder's files. */
interface RepoFiles {
  paths: Set<string>;
  dirs: Set<string>;
  names: Set<string>;
}

function repoFiles(paths: string[]): RepoFiles {
  const dirs = new Set<string>();
  for (const p of paths) for (let d = posix.dirname(p); d !== '.'; d = posix.dirname(d)) dirs.add(d);
  return { paths: new Set(paths), dirs, names: new Set(paths.map((p) => posix.basename(p))) };
}

/**
 * The text of a source's comments, everything else blanked (line breaks kept, so positions and lines stay true).
 * Comments are found through the TypeScript parser, so a `//` inside a string or a template is not one.
 */
function commentsOnly(file: string, text: string): string {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const ranges = new Map<number, number>();
  const collect = (list: ts.CommentRange[] | undefined) => list?.forEach((r) => ranges.set(r.pos, r.end));
  const visit = (node: ts.Node) => {
    collect(ts.getLeadingCommentRanges(text, node.getFullStart()));
    collect(ts.getTrailingCommentRanges(text, node.getEnd()));
    node.getChildren(source).forEach(visit);
  };
  visit(source);
  const out = text.replace(/[^\n]/g, ' ').split('');
  for (const [pos, end] of ranges) for (let i = pos; i < end; i++) out[i] = text[i];
  return out.join('');
}

/** The references of one file that lead nowhere, and its citations of notes and issue numbers. */
function offences(file: string, text: string, files: RepoFiles): Offence[] {
  const found: Offence[] = [];
  const add = (index: number, what: string) => found.push({ file, line: lineOf(text, index), what });
  const exists = (p: string) => files.paths.has(p) || files.dirs.has(p.replace(/\/$/, ''));
  // in sources only comments cite; strings hold fixtures ('run/x.ts') and output names
  const scanned = file.endsWith('.md') ? text : commentsOnly(file, text);
  for (const m of scanned.matchAll(ROOT_PATH)) {
    // a command's output is what it will write, not a citation
    if (/--out\s+$/.test(scanned.slice(Math.max(0, m.index! - 8), m.index!))) continue;
    if (!exists(m[1])) add(m.index!, `cites ${m[1]}, which does not exist`);
  }
  if (file.endsWith('.md')) {
    for (const m of text.matchAll(MD_LINK)) {
      const target = decodeURI(m[1]);
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const resolved = posix.normalize(posix.join(posix.dirname(file), target));
      if (!exists(resolved)) add(m.index!, `links to ${target}, which does not exist`);
    }
  }
  for (const m of scanned.matchAll(BARE_NAME)) {
    const name = m[1];
    if (NOT_REPO_FILES.has(name) || OUTSIDE_NOTES_NAMES.has(name)) continue;
    if (name.endsWith('.md') && !file.endsWith('.md')) continue;
    // a bare name may stand for a file beside its citer or in any folder (tests name the source they check)
    if (files.names.has(name)) continue;
    add(m.index!, `names ${name}, which is no file of the repository`);
  }
  for (const m of text.matchAll(OUTSIDE_NOTES)) add(m.index!, `cites ${m[0]}, a note outside the repository: cite docs/design.md, docs/search.md, docs/file-format.md or the paper`);
  for (const m of text.matchAll(ISSUE_NUMBER)) add(m.index!, `cites "${m[0].replace(/\s+/g, ' ')}", an issue number: say the fact instead`);
  return found.sort((a, b) => a.line - b.line);
}

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (SKIP_DIRS.has(entry) || entry.startsWith('.scratch')) continue;
    const full = join(dir, entry);
    const s = statSync(full, { throwIfNoEntry: false });
    if (!s) continue;
    if (s.isDirectory()) walk(full, out);
    else out.push(relative(repo, full).split('\\').join('/'));
  }
  return out;
}

const fakeFiles = repoFiles(['run/search.ts', 'run/store/store.ts', 'learners/layer-codec.ts', 'docs/search.md', 'bench/results/speed.md', 'README.md']);

test('a cited path that exists passes; one that does not is named with its line', (t) => {
  const text = '/**\n * See run/search.ts and docs/search.md.\n * The schema is in run/store-schema.ts.\n */';
  t.deepEqual(offences('run/x.ts', text, fakeFiles), [{ file: 'run/x.ts', line: 3, what: 'cites run/store-schema.ts, which does not exist' }]);
});

test('a bare file name must be a file of the repository: layer-codec.ts passes, store-schema.ts does not', (t) => {
  t.deepEqual(offences('learners/model-pack.ts', '// kernels: layer-codec.ts', fakeFiles), []);
  t.is(offences('run/x.ts', '// the schema: store-schema.ts', fakeFiles)[0].what, 'names store-schema.ts, which is no file of the repository');
  t.deepEqual(offences('run/x.ts', '// written as model.json and report.html', fakeFiles), []);
});

test('markdown links resolve from the linking file: speed.md from bench/results/README.md passes, ../docs/none.md fails', (t) => {
  const text = '[speed](speed.md), [design](../../docs/none.md), [web](https://example.org/a.md)';
  t.deepEqual(
    offences('bench/results/README.md', text, fakeFiles).map((o) => o.what),
    ['links to ../../docs/none.md, which does not exist'],
  );
});

test('a path inside a longer path, a glob or an --out is not a citation: /work/x/run/none.ts, test/**/*.test.ts pass', (t) => {
  t.deepEqual(offences('README.md', 'cd /work/x/run/none.ts; ava test/**/*.test.ts; see dist/cli/main.js; bench --out bench/results/new.md', fakeFiles), []);
});

test('in a source only comments cite: a fixture string run/none.ts passes, the same path in a comment does not', (t) => {
  const text = "const fixture = 'run/none.ts'; // see run/none.ts\nconst url = `https://x.org/${fixture}`; /* run/search.ts */";
  t.deepEqual(offences('test/x.test.ts', text, fakeFiles).map((o) => o.what), ['cites run/none.ts, which does not exist']);
});

test('citations of the outside notes and of issue numbers are offences, one per citation', (t) => {
  const notes = ['DES', 'IGN.md'].join('');
  const text = `// as ${notes} says (issue 12)\n// Issue #14's kernels; issues 16 and 18`;
  t.deepEqual(
    offences('env/x.ts', text, fakeFiles).map((o) => `${o.line} ${o.what.split(',')[0]}`),
    [`1 cites ${notes}`, '1 cites "issue 12"', '2 cites "Issue #14"', '2 cites "issues 16"'],
  );
});

test('no source or doc cites a missing repository file, a note outside the repository, or an issue number', (t) => {
  const all = walk(repo);
  const files = repoFiles(all);
  const scanned = all.filter((p) => /\.(tsx?|md)$/.test(p) || /^schema\/.*\.json$/.test(p)).filter((p) => p !== 'test/docs-references.test.ts');
  const found = scanned.flatMap((p) => offences(p, readFileSync(join(repo, p), 'utf8'), files));
  const listing = found.map((o) => `${o.file}:${o.line}  ${o.what}`).join('\n');
  t.is(found.length, 0, `${found.length} reference(s) lead nowhere:\n${listing}`);
});

