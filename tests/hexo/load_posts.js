#!/usr/bin/env node
// Load a folder of newsmirror posts with the real Hexo (pinned in package.json)
// through Hexo's own Node API, and write what Hexo made of each post as JSON.
//
// Usage: node load_posts.js POSTS_DIR OUT_JSON [--generate] [--site DIR]
//
//   POSTS_DIR   folder of posts; every *.md below it is copied, relative paths kept,
//               into the throwaway site's source/_posts/.
//   OUT_JSON    on success: a JSON list, one object per post (see postReport()).
//               on failure: {"errors": [{source, stage, message}, ...]}, exit code 1,
//               and the same errors printed to stderr.
//   --generate  also run `hexo generate` (bail mode) and report each post's HTML file.
//   --site DIR  build the throwaway site in DIR (kept afterwards, so generated files
//               can be inspected); by default a temp dir is used and removed.
//   --post-asset-folder  turn on Hexo's post_asset_folder and copy every other file
//               under POSTS_DIR too (the posts' asset folders: local image copies).
//
// Nothing is printed to stdout: Hexo is run with {silent: true}, and anything a
// plugin still writes to stdout is sent to stderr, so OUT_JSON is the only output.
//
// Why the extra checks below: Hexo is lenient in ways that hide exactly the bugs
// we want to catch (see ../test_hexo_harness.py for proofs against Hexo 8.1.2):
//   * Broken YAML front matter (e.g. `title: 'unterminated`): js-yaml throws, Hexo's
//     box logs "Process failed: <file>" and DROPS the post; hexo.load() and
//     `hexo generate` still succeed (exit 0). We record log errors and also require
//     every copied file to be present in Hexo's Post model.
//   * Front matter Hexo doesn't recognise (missing closing `---`, YAML that is a
//     scalar instead of a mapping): Hexo silently keeps the WHOLE file as the post
//     body, with title '' and no date/categories. We require that every post had
//     its front matter parsed (post._content !== post.raw). (CRLF is fine: hexo-fs
//     turns it into LF on read; so is a leading blank line, as in the old sample.)
//   * Files whose path has a segment starting with `_` or `.` or ending in `~`/`%`
//     are ignored by Hexo as hidden/temp files: caught by the "not loaded" check.
//   * Two posts whose permalinks give the same output file (e.g. titles that differ
//     only after a "?", which Hexo's router strips as a query string): one is lost.
//   * A `date:` that JavaScript's Date can't parse is silently replaced by the
//     file's birth time: we re-parse the front matter with Hexo's own parser
//     (hexo-front-matter, the copy Hexo itself requires) to detect that.
'use strict';

// Hexo's `timezone` handling (adjustDateForTimezone) shifts every parsed date by
// (machine offset - site offset), even for dates with an explicit zone such as
// `Tue, 29 Mar 2022 11:47:10 GMT`. So the machine zone must equal the site zone
// (UTC in _config.yml) or it leaks into the stored date. Node re-reads TZ when it
// is assigned, and nothing has created a Date yet at this point.
process.env.TZ = 'UTC';

const fs = require('fs');
const os = require('os');
const path = require('path');
const util = require('util');

// Keep stdout clean: whatever Hexo or a plugin writes there goes to stderr.
process.stdout.write = (...args) => process.stderr.write(...args);

const HARNESS_DIR = __dirname;
const NODE_MODULES = path.join(HARNESS_DIR, 'node_modules');
const Hexo = require('hexo');
const HEXO_VERSION = require('hexo/package.json').version;
// The front-matter parser Hexo itself uses (resolved from Hexo's own location).
const frontMatter = require(require.resolve('hexo-front-matter', {
  paths: [path.dirname(require.resolve('hexo/package.json'))]
}));

const POST_EXTENSIONS = new Set(['.md']);
const THEME = 'newsmirror-check';
// page.content is inserted verbatim, so a generated page must contain it exactly.
const POST_LAYOUT = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{{ page.title | escape }}</title></head>\n'
  + '<body><article class="post-body">{{ page.content }}</article></body></html>\n';

function parseArgs(argv) {
  const args = { generate: false, site: null, postAssetFolder: false, positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--generate') args.generate = true;
    else if (a === '--site') args.site = argv[++i];
    else if (a === '--post-asset-folder') args.postAssetFolder = true;
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else args.positional.push(a);
  }
  if (args.positional.length !== 2 || (args.site === undefined)) {
    throw new Error('usage: node load_posts.js POSTS_DIR OUT_JSON [--generate] [--site DIR] [--post-asset-folder]');
  }
  return args;
}

function listPosts(root, extensions = POST_EXTENSIONS) {
  const out = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && (extensions === null || extensions.has(path.extname(entry.name).toLowerCase()))) {
        out.push(path.relative(root, full).split(path.sep).join('/'));
      }
    }
  };
  walk(root);
  return out.sort();
}

function writeSite(siteDir, postsDir, sources, postAssetFolder) {
  fs.mkdirSync(path.join(siteDir, 'source', '_posts'), { recursive: true });
  // A package.json with a `hexo` key is what makes Hexo treat the folder as an
  // initialised site (env.init): only then does it read _config.yml and load plugins
  // listed in dependencies. The version matches so Hexo doesn't rewrite the file.
  fs.writeFileSync(path.join(siteDir, 'package.json'), JSON.stringify({
    name: 'newsmirror-hexo-check',
    private: true,
    hexo: { version: HEXO_VERSION },
    dependencies: { 'hexo': HEXO_VERSION, 'hexo-renderer-marked': '*' }
  }, null, 2));
  // Plugins are resolved from <site>/node_modules: point it at the harness's install.
  fs.symlinkSync(NODE_MODULES, path.join(siteDir, 'node_modules'), 'dir');
  fs.writeFileSync(path.join(siteDir, '_config.yml'), [
    'title: newsmirror hexo check',
    'url: http://example.com',
    'language: zh-CN',
    // See the TZ comment at the top: site zone and process zone are both UTC.
    'timezone: UTC',
    'new_post_name: :title.md',
    'permalink: :year/:month/:day/:title/',
    'future: true',
    // A missing `updated:` then equals `date` instead of the copy's mtime.
    'updated_option: date',
    'render_drafts: false',
    // Hexo's default external_link filter adds target="_blank" to outside links in the
    // finished page, which would make "the page holds the rendered content" untestable.
    'external_link:',
    '  enable: false',
    `post_asset_folder: ${postAssetFolder}`,
    `theme: ${THEME}`,
    ''
  ].join('\n'));
  // Without a layout Hexo writes an EMPTY file for each post ("No layout" warning),
  // so a one-file theme wraps the rendered content (Hexo core renders .njk itself).
  const layoutDir = path.join(siteDir, 'themes', THEME, 'layout');
  fs.mkdirSync(layoutDir, { recursive: true });
  fs.writeFileSync(path.join(layoutDir, 'post.njk'), POST_LAYOUT);
  for (const rel of sources) {
    const dest = path.join(siteDir, 'source', '_posts', ...rel.split('/'));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(path.join(postsDir, ...rel.split('/')), dest);
  }
}

const stripAnsi = (str) => String(str).replace(/\x1b\[[0-9;]*m/g, '');

// Turn a hexo-log call into {message, source}; `source` is the post path (relative
// to source/_posts) when Hexo names a file, as in log.error({err}, 'Process failed: %s', path).
function formatLog(args) {
  const rest = [...args];
  let err = null;
  if (rest[0] instanceof Error) {
    err = rest.shift();
  } else if (rest.length && rest[0] && typeof rest[0] === 'object') {
    const first = rest.shift();
    if (first.err instanceof Error) err = first.err;
  }
  let source = null;
  if (typeof rest[0] === 'string' && rest[0].endsWith(': %s') && rest.length === 2) {
    source = stripAnsi(rest[1]).replace(/^_posts\//, '');
  }
  let message = stripAnsi(util.format(...rest));
  if (err) message += (message ? ': ' : '') + (err.message || String(err));
  return { message, source };
}

function captureLog(hexo, sink) {
  for (const level of ['warn', 'error', 'fatal']) {
    const original = hexo.log[level];
    const capture = (...args) => {
      sink.push({ level, ...formatLog(args) });
      return original.apply(hexo.log, args);
    };
    hexo.log[level] = capture;
  }
  hexo.log.w = hexo.log.warn;
  hexo.log.e = hexo.log.error;
}

function categoryChain(Category, cat) {
  const chain = [];
  const seen = new Set();
  for (let c = cat; c; c = c.parent ? Category.findById(c.parent) : null) {
    if (seen.has(c._id)) throw new Error(`category parent cycle at ${c.name}`);
    seen.add(c._id);
    chain.unshift(c.name);
  }
  return chain;
}

function generatedFile(hexo, siteDir, post) {
  // Hexo's router decides the output name (strips a leading "/", drops anything
  // after "?", appends index.html), so ask it rather than re-deriving the rule.
  const route = hexo.route.format(post.path);
  return { route, file: path.join(siteDir, 'public', ...route.split('/')) };
}

function postReport(hexo, siteDir, post, generate) {
  const Category = hexo.model('Category');
  const chains = post.categories.toArray().map(c => categoryChain(Category, c));
  // Hexo stores a post's categories as a set; a hierarchy [a, b, c] is three
  // categories whose parent links form a chain. Order them root first.
  chains.sort((x, y) => x.length - y.length || x.join('/').localeCompare(y.join('/')));
  const report = {
    source: post.source.replace(/^_posts\//, ''),
    // Hexo's schema default for a missing title is ''.
    title: post.title,
    // post.date is the moment Hexo stores; toISOString() is UTC and adds nothing.
    date: post.date ? post.date.toISOString() : null,
    updated: post.updated ? post.updated.toISOString() : null,
    author: post.author === undefined ? null : post.author,
    comments: post.comments,
    headimg: post.headimg === undefined ? null : post.headimg,
    thumbnail: post.thumbnail === undefined ? null : post.thumbnail,
    categories: chains.map(c => c[c.length - 1]),
    category_paths: chains.map(c => c.join('/')),
    tags: post.tags.toArray().map(t => t.name),
    published: post.published,
    path: post.path,
    route: hexo.route.format(post.path),
    content_html: post.content
  };
  if (generate) {
    const { file } = generatedFile(hexo, siteDir, post);
    let html = null;
    try { html = fs.readFileSync(file, 'utf8'); } catch (e) { /* reported by checkPosts */ }
    report.generated_file = file;
    report.generated_ok = html !== null && html.includes(post.content);
    report.generated_html = html;
  }
  return report;
}

// Problems Hexo itself tolerates silently, found by comparing its model to the input.
function checkPosts(hexo, sources, reports) {
  const errors = [];
  const bySource = new Map(reports.map(r => [r.source, r]));
  const posts = new Map(hexo.model('Post').toArray().map(p => [p.source.replace(/^_posts\//, ''), p]));
  const routes = new Map();
  for (const r of reports) {
    if (routes.has(r.route)) {
      errors.push({ source: r.source, stage: 'permalink', message: `same output file ${r.route} as ${routes.get(r.route)}: one of them is lost on the site` });
    } else routes.set(r.route, r.source);
  }
  for (const rel of sources) {
    const post = posts.get(rel);
    const report = bySource.get(rel);
    if (!post) {
      errors.push({ source: rel, stage: 'load', message: 'not loaded by Hexo (front matter failed to process, or path is hidden/temp: a segment starting with "_" or ".", or ending in "~" or "%")' });
      continue;
    }
    if (post._content === post.raw) {
      errors.push({ source: rel, stage: 'front-matter', message: 'Hexo found no front matter and treated the whole file as content (no closing "---" line, or YAML that is not a mapping)' });
      continue;
    }
    const fm = frontMatter.parse(post.raw);
    if (Object.prototype.hasOwnProperty.call(fm, 'date') && fm.date !== null && fm.date !== undefined) {
      const d = fm.date instanceof Date ? fm.date : new Date(fm.date);
      if (isNaN(d.getTime())) {
        errors.push({ source: rel, stage: 'front-matter', message: `date ${JSON.stringify(fm.date)} is not parseable by Hexo; it silently used the file time ${report.date}` });
      }
    }
    if (report && report.generated_ok === false) {
      errors.push({ source: rel, stage: 'generate', message: `generated HTML at ${report.generated_file} is missing or lacks the rendered content` });
    }
  }
  return errors;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const postsDir = path.resolve(args.positional[0]);
  const outPath = path.resolve(args.positional[1]);
  const errors = [];
  const logs = [];
  let siteDir = args.site ? path.resolve(args.site) : null;
  const ownSite = !siteDir;
  try {
    if (!fs.statSync(postsDir).isDirectory()) throw new Error(`${postsDir} is not a directory`);
    const sources = listPosts(postsDir);
    if (!sources.length) throw new Error(`no *.md posts under ${postsDir}`);
    if (ownSite) siteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'newsmirror-hexo-'));
    else if (fs.existsSync(siteDir) && fs.readdirSync(siteDir).length) throw new Error(`--site ${siteDir} is not empty`);
    // With post_asset_folder every file is copied: the asset folders travel with their posts.
    writeSite(siteDir, postsDir, args.postAssetFolder ? listPosts(postsDir, null) : sources, args.postAssetFolder);

    const hexo = new Hexo(siteDir, { silent: true });
    captureLog(hexo, logs);
    let stage = 'init';
    let loaded = false;
    try {
      await hexo.init();
      stage = args.generate ? 'generate' : 'load';
      // `generate` runs hexo.load() itself; bail makes a failing route reject instead
      // of only being logged.
      if (args.generate) await hexo.call('generate', { bail: true });
      else await hexo.load();
      loaded = true;
    } catch (err) {
      errors.push({ source: null, stage, message: (err && (err.stack || err.message)) || String(err) });
    }
    for (const entry of logs) {
      // Hexo logs per-file failures (e.g. broken YAML) as errors and carries on.
      if (entry.level !== 'warn') errors.push({ source: entry.source, stage: 'hexo-log', message: entry.message });
    }
    if (loaded) {
      const reports = hexo.model('Post').toArray()
        .map(p => postReport(hexo, siteDir, p, args.generate))
        .sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
      errors.push(...checkPosts(hexo, sources, reports));
      if (!errors.length) {
        fs.writeFileSync(outPath, JSON.stringify(reports, null, 2));
        // Warnings don't fail the run, but stay visible on stderr.
        for (const w of logs) if (w.level === 'warn') process.stderr.write(`Hexo warning: ${w.message}\n`);
        return 0;
      }
    } else {
      // Rendering failed part-way, so only say which posts never made it into Hexo.
      errors.push(...checkPosts(hexo, sources, []).filter(e => e.stage === 'load'));
    }
  } catch (err) {
    errors.push({ source: null, stage: 'harness', message: (err && (err.stack || err.message)) || String(err) });
  } finally {
    if (ownSite && siteDir) fs.rmSync(siteDir, { recursive: true, force: true });
  }
  try { fs.writeFileSync(outPath, JSON.stringify({ errors, warnings: logs.filter(l => l.level === 'warn') }, null, 2)); } catch (e) { /* stderr below still reports */ }
  process.stderr.write(`Hexo ${HEXO_VERSION} failed on ${postsDir}:\n`);
  for (const e of errors) process.stderr.write(`  [${e.stage}]${e.source ? ' ' + e.source : ''}: ${e.message}\n`);
  return 1;
}

main().then(
  code => process.exit(code),
  err => { process.stderr.write(`${err && err.stack || err}\n`); process.exit(2); }
);
