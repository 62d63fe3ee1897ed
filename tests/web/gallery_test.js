// Browser test of `smp gallery` and `smp compare --video`: Debian's chromium driven by
// playwright-core. Builds a gallery from cases made of the Debian sample photos, serves it on
// 127.0.0.1, opens the index, opens a case, drags the slider (mouse and keyboard), checks that
// nothing is fetched from elsewhere, and leaves screenshots in $SMP_SHOT_DIR (default /tmp/photo).
//
//   node gallery_test.js /path/to/smp
'use strict';
const { chromium } = require('playwright-core');
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const smp = path.resolve(process.argv[2] || '../../build/smp');
const shots = process.env.SMP_SHOT_DIR || '/tmp/photo';
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const faces = ['/usr/share/doc/libdlib19.1/examples/faces',
  path.join(os.homedir(), '.cache/smp/libdlib19.1/usr/share/doc/libdlib19.1/examples/faces')]
  .find((d) => fs.existsSync(path.join(d, 'bald_guys.jpg')));

let failures = 0, checks = 0;
function check(ok, what) {
  checks++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

// Width and height from a JPEG's SOF segment, and whether it carries EXIF / XMP / IPTC.
function jpegInfo(file) {
  const b = fs.readFileSync(file);
  let i = 2, w = 0, h = 0, meta = false;
  while (i + 4 < b.length && b[i] === 0xff) {
    const m = b[i + 1], len = b.readUInt16BE(i + 2);
    if (m === 0xe1 || m === 0xed) meta = true;  // APP1 (EXIF, XMP), APP13 (IPTC)
    if (m >= 0xc0 && m <= 0xc3) { h = b.readUInt16BE(i + 5); w = b.readUInt16BE(i + 7); break; }
    i += 2 + len;
  }
  return { w, h, meta };
}

function makeCases(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  const mk = (name, json, before, afterArgs) => {
    const d = path.join(dir, name);
    fs.mkdirSync(d, { recursive: true });
    if (json) fs.writeFileSync(path.join(d, 'case.json'), JSON.stringify(json, null, 2));
    if (before) fs.copyFileSync(before, path.join(d, 'before.jpg'));
    // AFTER: the same photo from a camera a little closer and turned, in warmer light: what the
    // gallery must straighten out.
    if (afterArgs) execFileSync('convert', [before, ...afterArgs, path.join(d, 'after.jpg')]);
  };
  const base = { treatment: 'hairline', sessions: 3, before_date: '2026-01-10', after_date: '2026-03-02' };
  mk('smith-john', { ...base, caption: 'Hairline restoration, 3 sessions', consent: true },
    path.join(faces, 'Tom_Cruise_avp_2014_4.jpg'),
    ['-virtual-pixel', 'edge', '-distort', 'SRT', '1.06 3', '-modulate', '104,100,100']);
  mk('group-case', { ...base, caption: 'Crown density', treatment: 'crown', sessions: 4, consent: true },
    path.join(faces, 'bald_guys.jpg'), ['-virtual-pixel', 'edge', '-distort', 'SRT', '0.95 -2']);
  mk('doe-jane', { ...base, caption: 'SECRET-NO-CONSENT caption', consent: false },
    path.join(faces, '2009_004587.jpg'), ['-distort', 'SRT', '1.0 1']);
  mk('missing-after', { ...base, caption: 'Half a case', consent: true }, path.join(faces, '2008_002470.jpg'), null);
}

function serve(root) {
  return new Promise((resolve) => {
    const types = { '.html': 'text/html; charset=utf-8', '.jpg': 'image/jpeg', '.webm': 'video/webm' };
    const server = http.createServer((req, res) => {
      const p = path.join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
      if (!p.startsWith(root) || !fs.existsSync(p) || fs.statSync(p).isDirectory()) {
        res.writeHead(404); res.end(); return;
      }
      res.writeHead(200, { 'Content-Type': types[path.extname(p)] || 'application/octet-stream' });
      fs.createReadStream(p).pipe(res);
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'smp-web-'));
  const cases = path.join(work, 'cases'), site = path.join(work, 'site');
  makeCases(cases);

  // --- the gallery ---
  const g = spawnSync(smp, ['gallery', cases, '-o', site, '--anonymize', 'eyes', '--title', 'Our results'],
    { encoding: 'utf8' });
  console.log(g.stderr.trim());
  check(g.status === 3, `a broken case makes the exit code 3 (got ${g.status})`);
  check(/missing-after\/after\.\*/.test(g.stderr), 'the missing after photo is named');
  check(/doe-jane left out/.test(g.stderr), 'the case without consent is named on stderr');
  check(fs.existsSync(path.join(site, 'index.html')), 'the rest of the site is built');
  const files = fs.readdirSync(site, { recursive: true }).map((f) => path.join(site, f))
    .filter((f) => fs.statSync(f).isFile());
  const text = files.filter((f) => f.endsWith('.html')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  check(!/SECRET-NO-CONSENT|doe-jane|smith-john|group-case/.test(text), 'no folder name or unconsented text published');
  check(!/(src|href)="(https?:)?\/\//.test(text), 'no external scripts, styles, fonts or images');
  const jpgs = files.filter((f) => f.endsWith('.jpg'));
  check(jpgs.length === 6, `two cases x (before, after, thumbnail) = 6 images (got ${jpgs.length})`);
  for (const f of jpgs) {
    const { w, h, meta } = jpegInfo(f);
    check(Math.max(w, h) <= 2000 && w > 0 && !meta, `${path.basename(f)}: ${w}x${h}, no EXIF/XMP/IPTC`);
  }

  // --- the wipe videos (VP8 .webm and H.264 .mp4) ---
  const videos = ['webm', 'mp4'];
  for (const ext of videos) {
    const vid = path.join(site, `wipe.${ext}`);
    const v = spawnSync(smp, ['compare', path.join(cases, 'smith-john/before.jpg'),
      path.join(cases, 'smith-john/after.jpg'), '--video', vid, '--json', path.join(work, 'r.json')], { encoding: 'utf8' });
    check(v.status === 0 && fs.existsSync(vid), `smp compare --video writes ${path.basename(vid)} (exit ${v.status})`);
    fs.writeFileSync(path.join(site, `video-${ext}.html`),
      `<!doctype html><body style="margin:0;background:#000"><video id="v" src="wipe.${ext}" muted></video></body>`);
  }

  // --- the browser ---
  const server = await serve(site);
  const origin = `http://127.0.0.1:${server.address().port}`;
  // A new, empty profile each time (playwright passes it to chromium as --user-data-dir).
  const profiles = [];
  const launch = (opts) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smp-chromium-'));
    profiles.push(dir);
    return chromium.launchPersistentContext(dir, {
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      ...opts,
    });
  };
  const contexts = [];
  const foreign = [];
  try {
    const ctx = await launch({ viewport: { width: 1280, height: 900 } });
    contexts.push(ctx);
    ctx.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) foreign.push(r.url()); });
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${origin}/index.html`);
    const cards = await page.locator('.grid li').count();
    check(cards === 2, `index lists the 2 consented, complete cases (got ${cards})`);
    const lazy = await page.locator('.grid img[loading="lazy"]').count();
    check(lazy === cards, 'thumbnails are lazy-loaded');
    await page.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
    await page.screenshot({ path: path.join(shots, 'web-index.png'), fullPage: true });

    await page.locator('.grid a').first().click();
    await page.waitForURL(/case-1\.html$/);
    await page.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
    await page.screenshot({ path: path.join(shots, 'web-case.png'), fullPage: true });
    const fig = page.locator('figure.ba');
    const box = await fig.boundingBox();
    const pos = () => page.evaluate(() => parseFloat(document.querySelector('.ba').style.getPropertyValue('--pos')));
    check(Math.abs((await pos()) - 50) < 0.01, 'the slider starts in the middle');
    // Drag the divider from the middle to 20 % of the width.
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.mouse.down();
    for (let k = 1; k <= 10; k++) await page.mouse.move(box.x + box.width * (0.5 - 0.03 * k), box.y + box.height * 0.5);
    await page.mouse.up();
    const dragged = await pos();
    check(Math.abs(dragged - 20) < 1.5, `dragging moves the slider to 20 % (got ${dragged.toFixed(1)} %)`);
    const clip = await page.evaluate(() => getComputedStyle(document.querySelector('.ba .after')).clipPath);
    check(/inset\(0(px)? 0(px)? 0(px)? 20/.test(clip), `the after photo is clipped at the divider (${clip})`);
    await page.screenshot({ path: path.join(shots, 'web-case-dragged.png') });
    // Keyboard: the range input takes arrows and Home / End.
    await page.locator('.ba input[type=range]').focus();
    await page.keyboard.press('End');
    check((await pos()) === 100, 'End key shows all of BEFORE');
    await page.keyboard.press('ArrowLeft');
    check((await pos()) < 100, 'arrow keys move the slider');
    await page.keyboard.press('Home');
    check((await pos()) === 0, 'Home key shows all of AFTER');
    await page.screenshot({ path: path.join(shots, 'web-case-keyboard.png') });
    check(errors.length === 0, `no script errors (${errors.join('; ')})`);

    // A phone: no sideways scrolling, touch drag works.
    const phone = await launch({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true,
      deviceScaleFactor: 2 });
    contexts.push(phone);
    phone.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) foreign.push(r.url()); });
    const mp = await phone.newPage();
    await mp.goto(`${origin}/case-2.html`);
    await mp.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
    const overflow = await mp.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `no horizontal scrolling on a phone (overflow ${overflow} px)`);
    const mbox = await mp.locator('figure.ba').boundingBox();
    // Touch drag, as pointer events of type touch.
    await mp.evaluate(({ x0, x1, y }) => {
      const f = document.querySelector('.ba');
      const ev = (type, x) => f.dispatchEvent(new PointerEvent(type, { pointerId: 7, pointerType: 'touch', clientX: x,
        clientY: y, bubbles: true, isPrimary: true }));
      ev('pointerdown', x0);
      for (let k = 1; k <= 5; k++) ev('pointermove', x0 + (x1 - x0) * k / 5);
      ev('pointerup', x1);
    }, { x0: mbox.x + mbox.width / 2, x1: mbox.x + mbox.width * 0.8, y: mbox.y + mbox.height / 2 });
    const mpos = await mp.evaluate(() => parseFloat(document.querySelector('.ba').style.getPropertyValue('--pos')));
    check(Math.abs(mpos - 80) < 2, `touch drag moves the slider (got ${mpos.toFixed(1)} %)`);
    await mp.screenshot({ path: path.join(shots, 'web-phone.png'), fullPage: true });

    // The videos play in Chromium. Half way through (2 s of 4), the frame Chromium decoded is
    // drawn onto a canvas for the screenshot (headless screenshots may miss a video's frame) and
    // the wipe line is looked for in it.
    for (const ext of videos) {
      const vp = await ctx.newPage();
      await vp.goto(`${origin}/video-${ext}.html`);
      const played = await vp.evaluate(() => new Promise((resolve) => {
        const v = document.getElementById('v');
        let finished = false;
        const done = () => {
          if (finished) return;
          finished = true;
          v.pause();
          const r = { w: v.videoWidth, h: v.videoHeight, d: v.duration, t: v.currentTime, err: v.error && v.error.code,
            line: -1 };
          if (r.w > 0) {
            const c = document.createElement('canvas');
            c.width = r.w; c.height = r.h;
            const g = c.getContext('2d');
            g.drawImage(v, 0, 0);
            const row = g.getImageData(0, Math.floor(r.h * 0.7), r.w, 1).data;
            for (let x = Math.floor(r.w * 0.2); x < r.w * 0.8 && r.line < 0; x++)
              if (row[4 * x] > 235 && row[4 * x + 1] > 235 && row[4 * x + 2] > 235) r.line = x / r.w;
            v.replaceWith(c);
          }
          resolve(r);
        };
        v.addEventListener('error', done);
        v.addEventListener('timeupdate', () => { if (v.currentTime >= 2.0) done(); });
        v.play().catch(done);
        setTimeout(done, 15000);
      }));
      check(played.w > 0 && played.d > 3 && played.t >= 2 && !played.err,
        `the .${ext} plays: ${JSON.stringify(played)}`);
      check(played.line > 0.25 && played.line < 0.85, `.${ext}: half way through, the wipe line is inside the frame (${played.line.toFixed(2)})`);
      await vp.screenshot({ path: path.join(shots, `web-video-${ext}.png`) });
      await vp.close();
    }
    check(foreign.length === 0, `nothing fetched from outside the site (${foreign.join(', ')})`);
  } finally {
    for (const c of contexts) await c.close();
    server.close();
    for (const p of profiles) fs.rmSync(p, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`${checks - failures} passed, ${failures} failed`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
