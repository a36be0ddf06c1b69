/**
 * `npm run screenshots [OUTBOX]`: every digest and alert in a local-mode outbox (default
 * `.pulsecast/outbox`, filled by `npm start -- --demo`) as a person sees it, photographed by
 * headless Chromium at a phone's width (390 px) and a desktop's (1024 px) into `.screenshots/`
 * (git-ignored). Emails are shown from their `.eml` (parsed with postal-mime, inline charts
 * resolved); Slack payloads are drawn as Slack lays out Block Kit, closely enough to judge the
 * words, the order and the charts. Test-only: not part of `npm test`, which checks the structure.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import PostalMime from 'postal-mime';
import { escapeHtml } from '../../shared/notify/email.ts';

const outbox = resolve(process.argv[2] ?? '.pulsecast/outbox');
const out = resolve('.screenshots');
mkdirSync(out, { recursive: true });

const files = readdirSync(outbox).sort();
const pages: string[] = [];

for (const name of files.filter((f) => f.endsWith('.eml'))) {
  const mail = await PostalMime.parse(readFileSync(join(outbox, name)));
  let html = mail.html ?? `<pre>${escapeHtml(mail.text ?? '')}</pre>`;
  for (const attachment of mail.attachments) {
    if (!attachment.contentId) continue;
    const cid = attachment.contentId.replace(/^<|>$/g, '');
    const data = Buffer.from(attachment.content as ArrayBuffer).toString('base64');
    html = html.replaceAll(`cid:${cid}`, `data:${attachment.mimeType};base64,${data}`);
  }
  const page = join(out, `${name}.html`);
  writeFileSync(
    page,
    `<p style="font:13px sans-serif;color:#555">Subject: ${escapeHtml(mail.subject ?? '')}</p>${html}`,
  );
  pages.push(page);
}

interface Block {
  type: string;
  text?: { text: string };
  fields?: { text: string }[];
  elements?: { text?: string | { text: string }; url?: string }[];
  image_url?: string;
  alt_text?: string;
}

/** Slack's mrkdwn, enough of it: links, bold, italics, code, line breaks. */
function mrkdwn(text: string): string {
  return text
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '<a href="$1">$2</a>')
    .replace(/\*([^*\n]+)\*/g, '<b>$1</b>')
    .replace(/(^|\s)_([^_\n]+)_/g, '$1<i>$2</i>')
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replaceAll('\n', '<br>');
}

function block(b: Block): string {
  switch (b.type) {
    case 'header':
      return `<h2 style="font-size:18px;margin:8px 0">${escapeHtml(b.text?.text ?? '')}</h2>`;
    case 'section':
      return `<div style="margin:6px 0">${b.text ? mrkdwn(b.text.text) : ''}${
        b.fields
          ? `<div style="display:grid;grid-template-columns:1fr 1fr;gap:4px">${b.fields.map((f) => `<div>${mrkdwn(f.text)}</div>`).join('')}</div>`
          : ''
      }</div>`;
    case 'context':
      return `<div style="color:#616061;font-size:12px">${(b.elements ?? []).map((e) => mrkdwn(typeof e.text === 'string' ? e.text : '')).join(' ')}</div>`;
    case 'divider':
      return '<hr style="border:0;border-top:1px solid #ddd">';
    case 'image':
      return `<img src="${escapeHtml(b.image_url ?? '')}" alt="${escapeHtml(b.alt_text ?? '')}" style="max-width:100%;border-radius:4px">`;
    case 'actions':
      return (b.elements ?? [])
        .map(
          (e) =>
            `<a href="${escapeHtml(e.url ?? '')}" style="display:inline-block;border:1px solid #ccc;border-radius:4px;padding:4px 10px;margin:4px 4px 0 0">${escapeHtml(typeof e.text === 'object' ? e.text.text : '')}</a>`,
        )
        .join('');
    default:
      return '';
  }
}

for (const name of files.filter((f) => f.endsWith('.json'))) {
  const payload = JSON.parse(readFileSync(join(outbox, name), 'utf8')) as { blocks?: Block[] };
  if (!payload.blocks) continue;
  const page = join(out, `${name}.html`);
  writeFileSync(
    page,
    `<!DOCTYPE html><meta charset="utf-8"><body style="font:15px/1.46 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1d1c1d;margin:12px">${payload.blocks.map(block).join('')}</body>`,
  );
  pages.push(page);
}

const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find(
  (binary) => spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0,
);
if (!chromium) {
  console.error(
    `${pages.length} page(s) written to ${out}, but no Chromium to photograph them: apt-get install chromium (Debian), then run again.`,
  );
  process.exit(1);
}
for (const page of pages) {
  for (const width of [390, 1024]) {
    const png = `${page.replace(/\.html$/, '')}.${width}.png`;
    const run = spawnSync(chromium, [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      `--window-size=${width},2400`,
      `--screenshot=${png}`,
      `file://${page}`,
    ]);
    if (run.status !== 0) console.error(`${page}: Chromium failed: ${run.stderr}`);
  }
}
console.log(`${pages.length} page(s) photographed at 390 and 1024 px into ${out}`);
